/// A bug on purpose: the fuzzer must reach it from an empty corpus within the script's bound,
/// or the fuzzing setup (coverage instrumentation, the driver, crash detection) is broken.
enum PlantedTarget {
    static func run(_ data: [UInt8]) {
        // One comparison per byte, so coverage guides the fuzzer one byte at a time.
        guard data.count >= 6, data[0] == UInt8(ascii: "F") else { return }
        guard data[1] == UInt8(ascii: "U") else { return }
        guard data[2] == UInt8(ascii: "Z") else { return }
        guard data[3] == UInt8(ascii: "Z") else { return }
        guard data[4] == UInt8(ascii: "!") else { return }
        guard data[5] == UInt8(ascii: "!") else { return }
        fatalError("planted crash found")
    }
}
