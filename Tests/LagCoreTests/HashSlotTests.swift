import Testing
@testable import LagCore

@Suite("Cluster hash slots")
struct HashSlotTests {
    /// The check value of CRC16/XMODEM, the variant the Redis Cluster specification names
    /// ("Output for "123456789": 31C3").
    @Test func crc16ReferenceVector() {
        #expect(HashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(HashSlot.crc16([]) == 0)
    }

    /// Hash tags, the examples of the specification's "Hash tags" section: keys that must share
    /// a slot do, and the edge cases hash what the specification says.
    @Test func hashTags() {
        func slot(_ s: String) -> Int { HashSlot.of(Array(s.utf8)) }
        #expect(slot("{user1000}.following") == slot("{user1000}.followers"))
        #expect(slot("{user1000}.following") == slot("user1000"))
        #expect(slot("foo{}{bar}") == Int(HashSlot.crc16(Array("foo{}{bar}".utf8)) & 0x3FFF), "an empty tag: the whole key")
        #expect(slot("foo{{bar}}zap") == slot("{bar"), "the tag is '{bar'")
        #expect(slot("foo{bar}{zap}") == slot("bar"), "only the first tag")
        #expect(slot("foo{bar") == Int(HashSlot.crc16(Array("foo{bar".utf8)) & 0x3FFF), "no closing brace: the whole key")
        #expect(slot("123456789") == 0x31C3)
    }

    /// Slots `CLUSTER KEYSLOT` returned on Redis 7.0 for these keys (the cluster end-to-end
    /// tests compare every key they write with the server's own answer).
    @Test(arguments: [("foo", 12182), ("bar", 5061), ("hello", 866), ("events:chat", 9608), ("{user1000}.following", 3443), ("foo{{bar}}zap", 4015), ("", 0)])
    func knownSlots(key: String, slot: Int) {
        #expect(HashSlot.of(Array(key.utf8)) == slot)
    }
}
