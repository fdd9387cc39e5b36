import Testing
@testable import LagCore

@Suite("ListenAddress")
struct ListenAddressTests {
    @Test("parses host:port, [v6]:port and :port", arguments: [
        ("127.0.0.1:9840", "127.0.0.1", 9840, "127.0.0.1:9840", true),
        ("localhost:9840", "localhost", 9840, "localhost:9840", true),
        ("127.1.2.3:80", "127.1.2.3", 80, "127.1.2.3:80", true),
        ("[::1]:9840", "::1", 9840, "[::1]:9840", true),
        (":9840", "", 9840, ":9840", false),
        ("0.0.0.0:9840", "0.0.0.0", 9840, "0.0.0.0:9840", false),
        ("[::]:9840", "::", 9840, "[::]:9840", false),
        ("10.0.0.7:9840", "10.0.0.7", 9840, "10.0.0.7:9840", false),
        ("exporter.example.com:443", "exporter.example.com", 443, "exporter.example.com:443", false),
        ("[fe80::1]:0", "fe80::1", 0, "[fe80::1]:0", false),
        ("127.0.0.1:65535", "127.0.0.1", 65535, "127.0.0.1:65535", true),
    ])
    func parses(text: String, host: String, port: Int, description: String, loopback: Bool) throws {
        let address = try #require(ListenAddress.parse(text))
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == description)
        #expect(address.isLoopback == loopback)
    }

    @Test("refuses", arguments: [
        "9840", "host:", "host:abc", "host:65536", "host:-1", "::1:9840", "[::1]", "[::1]9840", "[::1:9840", "",
    ])
    func refuses(text: String) {
        #expect(ListenAddress.parse(text) == nil)
    }

    /// Only 127.0.0.0/8, ::1 and localhost may be served without credentials; a DNS name that
    /// merely starts with "127." can resolve anywhere.
    @Test("a host name starting with 127. is not loopback")
    func dnsNameIsNotLoopback() {
        #expect(ListenAddress(host: "127.example.com", port: 9840).isLoopback == false)
    }
}
