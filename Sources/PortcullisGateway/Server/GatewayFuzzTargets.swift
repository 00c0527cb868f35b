import NIOCore
import NIOHTTP1
import PortcullisConfig
import PortcullisHTTP1

/// The gateway's parsers of hostile input as fuzz targets (see `AuthFuzzTargets` in
/// PortcullisAuth for how they are run): each takes arbitrary bytes, must never crash, and traps
/// when an invariant does not hold.
@_spi(Fuzzing) public enum GatewayFuzzTargets {
    /// The request-target checks: a path that passes has no dot segment and no encoded `/` or `\`,
    /// and its segments, joined again, pass to the same segments (the check is idempotent).
    public static func requestTarget(_ bytes: [UInt8]) {
        let target = String(decoding: bytes, as: UTF8.self)
        guard let path = try? RequestPath(target: target) else { return }
        for segment in path.segments {
            precondition(segment != "." && segment != "..", "a dot segment passed")
            let lowered = segment.lowercased()
            precondition(!lowered.contains("%2f") && !lowered.contains("%5c") && !segment.contains("\\"), "an encoded separator passed")
        }
        // One trailing empty segment is dropped when split: give it back when the last one is empty.
        let joined = "/" + path.segments.joined(separator: "/") + (path.segments.last == "" ? "/" : "")
        guard let again = try? RequestPath(target: joined), again.segments == path.segments else {
            preconditionFailure("a passed path does not pass again as the same segments")
        }
    }

    /// The forward-auth endpoint: a decision names a target one of its headers gave and a method
    /// token. Input: the first line is the request target, each further line `name: value`.
    public static func forwardAuthRequest(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let uri = lines.first else { return }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            // As NIO's decoder delivers them: visible ASCII names, values without CR or NUL.
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { continue }
            let name = line[..<colon]
            let value = line[line.index(after: colon)...]
            guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x00 })
            else { continue }
            headers.add(name: String(name), value: String(value))
        }
        let endpoint = ForwardAuthEndpoint(ForwardAuthConfig(path: "/_portcullis/auth", pathPrefix: "/_portcullis/ext_authz"))
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: String(uri), headers: headers)
        guard case .decision(let original) = endpoint.classify(head) else { return }
        precondition(ForwardAuthEndpoint.isMethodToken(original.method), "a decision's method is not a token")
        if head.uri.hasPrefix("/_portcullis/ext_authz") {
            precondition(original.target.hasPrefix("/"), "a prefix decision's target is not in origin form")
            return
        }
        let named = headers.compactMap { field -> String? in
            switch field.name.lowercased() {
            case "x-original-uri", "x-forwarded-uri": field.value
            case "x-original-url": ForwardAuthEndpoint.originForm(ofAbsoluteURL: field.value)
            default: nil
            }
        }
        precondition(named.contains(original.target), "a decision's target is not one its headers named")
    }

    /// The strict upstream response parser, differentially: the events of one response (or its
    /// failure) are the same whether its bytes arrive whole or split at any point. The first byte
    /// picks the request the response answers (HEAD or not) and the split point. (Whether the
    /// connection may be reused differs, rightly: bytes already there after a response rule it out.)
    public static func upstreamResponse(_ bytes: [UInt8]) {
        guard let control = bytes.first else { return }
        let stream = Array(bytes.dropFirst())
        let toHEAD = control & 1 == 1
        let whole = Self.parse([stream[...]], toHEAD: toHEAD)
        let split = stream.isEmpty ? 0 : Int(control >> 1) % (stream.count + 1)
        let halves = Self.parse([stream[..<split], stream[split...]], toHEAD: toHEAD)
        precondition(whole == halves, "the parser's result depends on where the bytes were split: \(whole) vs \(halves)")
        let bytewise = Self.parse(stream.indices.map { stream[$0...$0] }, toHEAD: toHEAD)
        precondition(whole == bytewise, "the parser's result differs byte by byte: \(whole) vs \(bytewise)")
    }

    /// What a parser made of one response: heads (interim ones included), the body bytes, its end
    /// or failure, in order.
    private static func parse(_ pieces: [ArraySlice<UInt8>], toHEAD: Bool) -> [String] {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toHEAD: toHEAD)
        var events: [String] = []
        var body: [UInt8] = []
        func flushBody() {
            if !body.isEmpty {
                events.append("body \(body)")
                body.removeAll()
            }
        }
        for piece in pieces {
            parser.append(ByteBuffer(bytes: piece))
            while true {
                do {
                    guard let event = try parser.next() else { break }
                    switch event {
                    case .head(let head):
                        flushBody()
                        events.append("head \(head.status.code) \(head.headers.map { "\($0.name)=\($0.value)" })")
                    case .body(let buffer):
                        body += Array(buffer.readableBytesView)
                    case .end:
                        flushBody()
                        events.append("end")
                        return events
                    }
                } catch {
                    flushBody()
                    events.append("error \(error)")
                    return events
                }
            }
        }
        flushBody()
        return events
    }
}
