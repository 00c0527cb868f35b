#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard `process_*` series, read from `/proc/self` at each scrape.
///
/// On systems without `/proc` only the series that can be read are emitted.
struct ProcessMetrics: Sendable {
    private let clockTicksPerSecond: Double
    private let pageSize: Double

    init() {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        self.clockTicksPerSecond = ticks > 0 ? Double(ticks) : 100
        let page = sysconf(Int32(_SC_PAGESIZE))
        self.pageSize = page > 0 ? Double(page) : 4096
    }

    func emit(into buffer: inout [UInt8]) {
        if let stat = Self.readFile("/proc/self/stat"), let fields = Self.statFields(stat) {
            // Fields after the command name: state is index 0, utime 11, stime 12, starttime 19, rss 21.
            if fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]),
                let rss = Double(fields[21])
            {
                Self.write(
                    &buffer, name: "process_cpu_seconds_total", type: "counter",
                    help: "Total user and system CPU time spent in seconds.",
                    value: (utime + stime) / self.clockTicksPerSecond
                )
                Self.write(
                    &buffer, name: "process_resident_memory_bytes", type: "gauge",
                    help: "Resident memory size in bytes.", value: rss * self.pageSize
                )
            }
        }
        if let count = Self.countEntries("/proc/self/fd") {
            Self.write(&buffer, name: "process_open_fds", type: "gauge", help: "Number of open file descriptors.", value: Double(count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            Self.write(
                &buffer, name: "process_max_fds", type: "gauge",
                help: "Maximum number of open file descriptors.", value: Double(limit.rlim_cur)
            )
        }
    }

    private static func write(_ buffer: inout [UInt8], name: String, type: String, help: String, value: Double) {
        let formatted = value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        buffer.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(formatted)\n".utf8)
    }

    /// The fields of `/proc/self/stat` after the parenthesised command name.
    private static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }

    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        // The directory stream itself holds one descriptor while we count.
        return max(count - 1, 0)
    }
}
