import Foundation
import LagCore

/// Status and problems go to stderr, one line each, so stdout stays free and a caller can
/// send the chatter to a log file.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardError.write(Data("stream-lag-traffic: \(text.escapingControlCharacters)\n".utf8))
    }
}
