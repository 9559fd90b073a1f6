import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct AdminTests {
    func describe(_ h: inout Harness, _ groups: [String], version: Int16 = 5) -> DescribeGroupsResponse {
        var r = DescribeGroupsRequest()
        r.groups = groups
        let id = h.send({ .describeGroups($0, r) }, version: version)
        guard case .describeGroups(let resp)? = h.take(id) else { fatalError() }
        return resp
    }

    func list(_ h: inout Harness, states: [String] = [], types: [String] = [], version: Int16 = 5) -> [ListGroupsResponse.ListedGroup] {
        var r = ListGroupsRequest()
        r.statesFilter = states
        r.typesFilter = types
        let id = h.send({ .listGroups($0, r) }, version: version)
        guard case .listGroups(let resp)? = h.take(id) else { fatalError() }
        return resp.groups
    }

    func delete(_ h: inout Harness, _ groups: [String]) -> [Int16] {
        var r = DeleteGroupsRequest()
        r.groupsNames = groups
        let id = h.send({ .deleteGroups($0, r) }, version: 2)
        guard case .deleteGroups(let resp)? = h.take(id) else { fatalError() }
        return resp.results.map(\.errorCode)
    }

    @Test func describeStableAndMissing() {
        var (h, m1, m2, _) = stableGroup()
        let d = describe(&h, ["g", "missing"])
        #expect(d.groups[0].groupState == "Stable")
        #expect(d.groups[0].protocolType == "consumer")
        #expect(d.groups[0].protocolData == "range")
        #expect(d.groups[0].members.map(\.memberId) == [m1, m2])
        #expect(d.groups[0].members[1].memberAssignment == bytes("a2"))
        #expect(d.groups[0].members[0].clientHost == "/127.0.0.1")
        #expect(d.groups[1].groupState == "Dead" && d.groups[1].errorCode == 0)
        let v6 = describe(&h, ["missing"], version: 6)
        #expect(v6.groups[0].errorCode == code(.groupIdNotFound))
        _ = h.join(member: m1)
        let rebalancing = describe(&h, ["g"])
        #expect(rebalancing.groups[0].groupState == "PreparingRebalance")
        #expect(rebalancing.groups[0].members.allSatisfy { $0.memberAssignment.readableBytes == 0 })
    }

    @Test func listWithFilters() {
        var (h, _, _, _) = stableGroup()
        _ = h.commit("simple", offsets: [("t", 0, 1)])
        #expect(list(&h).map(\.groupId) == ["g", "simple"])
        #expect(list(&h, states: ["stable"]).map(\.groupId) == ["g"])
        #expect(list(&h, states: ["Empty"]).map(\.groupId) == ["simple"])
        #expect(list(&h, types: ["consumer"]).isEmpty)
        #expect(list(&h, types: ["Classic"]).count == 2)
        let v3 = list(&h, version: 3)
        #expect(v3.allSatisfy { $0.groupState.isEmpty && $0.groupType.isEmpty })
        #expect(list(&h)[0].groupType == "classic")
    }

    @Test func deleteGroups() {
        var (h, m1, m2, gen) = stableGroup()
        _ = h.commit(member: m1, generation: gen, offsets: [("t", 0, 1)])
        _ = h.commit("simple", offsets: [("t", 0, 1), ("t", 1, 2)])
        #expect(delete(&h, ["g", "simple", "missing"]) == [code(.nonEmptyGroup), 0, code(.groupIdNotFound)])
        #expect(h.shard.groups["simple"] == nil)
        #expect(h.shard.offsets["simple"] == nil)
        _ = h.leave(members: [(m1, nil), (m2, nil)])
        #expect(h.group?.state == .empty)
        #expect(delete(&h, ["g"]) == [0])
        #expect(h.group == nil)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) == nil)
    }
}
