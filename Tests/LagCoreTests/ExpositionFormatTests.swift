import Testing
@testable import LagCore

@Suite("Content negotiation")
struct ExpositionFormatTests {
    @Test(arguments: [
        // What Prometheus 2.x sends by default.
        ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
         ExpositionFormat.openMetrics),
        ("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5", .text),
        ("application/openmetrics-text; version=1.0.0; q=0", .text),
        ("*/*", .text),
        ("", .text),
        ("APPLICATION/OPENMETRICS-TEXT", .openMetrics),
    ])
    func accept(header: String, format: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: header) == format)
    }

    @Test func noAcceptHeaderIsText() {
        #expect(ExpositionFormat.negotiate(accept: nil) == .text)
    }

    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("deflate", false), ("gzip;q=0", false),
        ("*", true), ("*;q=0", false), ("identity", false), ("br, *;q=0.1", true), ("x-gzip", true),
    ])
    func acceptEncoding(header: String, gzip: Bool) {
        #expect(HeaderList.allowsGzip(header) == gzip)
    }

    @Test func noAcceptEncodingMeansNoGzip() {
        #expect(!HeaderList.allowsGzip(nil))
    }
}
