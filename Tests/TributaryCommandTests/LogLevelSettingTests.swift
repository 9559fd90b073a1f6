import Logging
import Testing
@testable import tributary

@Suite struct LogLevelSettingTests {
    @Test func tributaryVariableWinsThenLog4jThenInfo() {
        #expect(LogLevelSetting.resolve(tributary: "debug", log4j: "ERROR") == .debug)
        #expect(LogLevelSetting.resolve(tributary: "WARN", log4j: nil) == .warning)
        #expect(LogLevelSetting.resolve(tributary: nil, log4j: "WARN") == .warning)
        #expect(LogLevelSetting.resolve(tributary: "nonsense", log4j: "TRACE") == .trace)
        #expect(LogLevelSetting.resolve(tributary: nil, log4j: nil) == .info)
    }
}
