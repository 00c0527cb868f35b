import Logging

package extension Logger {
    /// A logger that keeps only critical events, for tests that do not read the log.
    static var quiet: Logger {
        var logger = Logger(label: "portcullis-test")
        logger.logLevel = .critical
        return logger
    }
}
