/// A connection's place for the access-log line of the request it is serving; made only while
/// the loop keeps an access log, and reused by each request of the connection.
final class AccessLogSlot {
    var line: AccessLogLine?
}
