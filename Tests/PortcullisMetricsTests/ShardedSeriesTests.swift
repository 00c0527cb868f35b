import Foundation
import PortcullisMetrics
import Testing

@Suite("Sharded series (cache lookups, auth durations)")
struct ShardedSeriesTests {
    private static func exposition(_ metrics: PortcullisMetrics) -> String {
        String(decoding: metrics.exposition(), as: UTF8.self)
    }

    @Test("lookups counted on many threads at once sum to every lookup; both results are shown from the start")
    func lookupsSumAcrossThreads() async {
        let metrics = PortcullisMetrics()
        let cache = metrics.cache("jwt")
        #expect(Self.exposition(metrics).contains(#"portcullis_cache_lookups_total{cache="jwt",result="hit"} 0"#))
        #expect(Self.exposition(metrics).contains(#"portcullis_cache_lookups_total{cache="jwt",result="miss"} 0"#))
        // Threads of their own, so that several shards are written at once.
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0..<1_000 { cache.recordHit() }
            if thread < 3 { cache.recordMiss() }
        }
        let text = Self.exposition(metrics)
        #expect(text.contains(#"portcullis_cache_lookups_total{cache="jwt",result="hit"} 8000"#))
        #expect(text.contains(#"portcullis_cache_lookups_total{cache="jwt",result="miss"} 3"#))
        #expect(text.components(separatedBy: "# TYPE portcullis_cache_lookups_total counter").count == 2)
    }

    @Test("the same cache name and the same auth method share one series")
    func sameNameSameSeries() {
        let metrics = PortcullisMetrics()
        metrics.cache("basic_file").recordHit()
        metrics.cache("basic_file").recordHit()
        metrics.authDuration(auth: "jwt").record(.microseconds(30))
        metrics.authDuration(auth: "jwt").record(.milliseconds(2))
        let text = Self.exposition(metrics)
        #expect(text.contains(#"portcullis_cache_lookups_total{cache="basic_file",result="hit"} 2"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_count{auth="jwt"} 2"#))
        #expect(text.components(separatedBy: #"portcullis_auth_duration_seconds_count{auth="jwt"}"#).count == 2)
    }

    @Test("auth durations land in cumulative buckets with le in seconds, with their sum")
    func durationBuckets() {
        let metrics = PortcullisMetrics()
        let recorder = metrics.authDuration(auth: "basic_file")
        recorder.record(.microseconds(30))
        recorder.record(.milliseconds(2))
        recorder.record(.seconds(20))
        let text = Self.exposition(metrics)
        #expect(text.contains("# TYPE portcullis_auth_duration_seconds histogram"))
        #expect(text.contains(#"portcullis_auth_duration_seconds_bucket{auth="basic_file",le="0.00005"} 1"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_bucket{auth="basic_file",le="0.001"} 1"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_bucket{auth="basic_file",le="0.0025"} 2"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_bucket{auth="basic_file",le="10.0"} 2"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_bucket{auth="basic_file",le="+Inf"} 3"#))
        #expect(text.contains(#"portcullis_auth_duration_seconds_sum{auth="basic_file"} 20.00203"#))
    }
}
