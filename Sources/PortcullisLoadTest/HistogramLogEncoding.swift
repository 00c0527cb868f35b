import ExtrasBase64
import Histogram

/// HdrHistogram's compressed V2 encoding (the `Interval_Compressed_Histogram` column of a
/// histogram log), so that interval logs are read and merged by HdrHistogram's own tools
/// (HistogramLogProcessor, HdrHistogram_py, HdrHistogramVisualizer) across runs.
///
/// hdrhistogram-swift encodes only through `Codable`, so the layout is written here: a 40-byte
/// big-endian header, the counts as ZigZag LEB128 with runs of zeros as negative lengths, then
/// that whole payload in a zlib stream behind an 8-byte compressed header. The zlib stream uses
/// stored (uncompressed) deflate blocks: every inflater reads them, and no zlib binding is needed.
enum HistogramLogEncoding {
    private static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    private static let compressedEncodingCookie: UInt32 = 0x1c84_9304 | 0x10

    /// The histogram as the base64 text of a histogram log line.
    static func compressedBase64(_ histogram: Histogram<UInt64>) -> String {
        Base64.encodeToString(bytes: Self.compressed(histogram))
    }

    static func compressed(_ histogram: Histogram<UInt64>) -> [UInt8] {
        let payload = Self.uncompressed(histogram)
        let zlib = Self.zlibStored(payload)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + zlib.count)
        bytes.appendBigEndian(Self.compressedEncodingCookie)
        bytes.appendBigEndian(UInt32(zlib.count))
        bytes += zlib
        return bytes
    }

    static func uncompressed(_ histogram: Histogram<UInt64>) -> [UInt8] {
        // The counts in index order, up to the last one that is not zero.
        var counts: [UInt64] = []
        if histogram.totalCount > 0 {
            for value in histogram.allValues() { counts.append(value.count) }
            while counts.last == 0 { counts.removeLast() }
        }
        var body: [UInt8] = []
        var index = 0
        while index < counts.count {
            let count = counts[index]
            index += 1
            if count == 0 {
                var zeros: Int64 = 1
                while index < counts.count, counts[index] == 0 {
                    zeros += 1
                    index += 1
                }
                body.appendZigZag(zeros > 1 ? -zeros : 0)
            } else {
                body.appendZigZag(Int64(clamping: count))
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40 + body.count)
        bytes.appendBigEndian(Self.encodingCookie)
        bytes.appendBigEndian(UInt32(body.count))
        bytes.appendBigEndian(UInt32(0))  // normalizing index offset
        bytes.appendBigEndian(UInt32(histogram.numberOfSignificantValueDigits.rawValue))
        bytes.appendBigEndian(histogram.lowestDiscernibleValue)
        bytes.appendBigEndian(histogram.highestTrackableValue)
        bytes.appendBigEndian((1.0 as Double).bitPattern)  // integer-to-double conversion ratio
        return bytes + body
    }

    /// `data` in a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(data.count - offset, 65_535)
            let last = offset + length == data.count
            bytes.append(last ? 1 : 0)
            bytes.append(UInt8(length & 0xFF))
            bytes.append(UInt8(length >> 8))
            bytes.append(UInt8(~length & 0xFF))
            bytes.append(UInt8((~length >> 8) & 0xFF))
            bytes += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        bytes.appendBigEndian(Self.adler32(data))
        return bytes
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var bigEndian = value.bigEndian
        Swift.withUnsafeBytes(of: &bigEndian) { self.append(contentsOf: $0) }
    }

    /// ZigZag, then LEB128 as HdrHistogram writes it: 7 bits a byte for 8 bytes, a 9th byte of 8.
    fileprivate mutating func appendZigZag(_ value: Int64) {
        var remaining = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if remaining < 0x80 {
                self.append(UInt8(remaining))
                return
            }
            self.append(UInt8(remaining & 0x7F) | 0x80)
            remaining >>= 7
        }
        self.append(UInt8(truncatingIfNeeded: remaining))
    }
}
