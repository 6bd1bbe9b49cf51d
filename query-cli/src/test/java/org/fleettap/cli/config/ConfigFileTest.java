package org.fleettap.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.fleettap.cli.config.ConfigFile.Setting;
import org.junit.jupiter.api.Test;

class ConfigFileTest {
    private static List<Setting> parse(String text) throws Exception {
        return ConfigFile.parse("agent.yaml", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void scalarsListsAndLabelMapsBecomeOptionValuesWithTheirPlace() throws Exception {
        assertThat(parse("# the agent\ncollector: collector.example:7420\nlabels: {zone: eu-1, role: db}\n"
                + "kafka:\n  - k1:9092\n  - k2:9092\nspool-max: 64MiB\nverbose: true\n")).containsExactly(
                new Setting("collector", "collector.example:7420", "agent.yaml:2:12"),
                new Setting("labels", "zone=eu-1,role=db", "agent.yaml:3:9"),
                new Setting("kafka", "k1:9092,k2:9092", "agent.yaml:5:3"),
                new Setting("spool-max", "64MiB", "agent.yaml:7:12"),
                new Setting("verbose", "true", "agent.yaml:8:10"));
        assertThat(parse("")).isEmpty();
        assertThat(parse("# nothing set\n")).isEmpty();
    }

    @Test
    void malformedFilesAreRefusedNamingFileLineAndColumn() {
        assertThatThrownBy(() -> parse("collector: a:1\n  spool: [x\n")).isInstanceOf(ConfigFile.ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2:");
        assertThatThrownBy(() -> parse("collector: a:1\ncollector: b:2\n"))
                .hasMessage("agent.yaml:2:1: 'collector' is set twice");
        assertThatThrownBy(() -> parse("- collector\n- a:1\n"))
                .hasMessage("agent.yaml:1:1: expected settings as 'key: value' lines");
        assertThatThrownBy(() -> parse("spool:\n  dir: /x\n"))
                .hasMessage("agent.yaml:2:3: spool: expected a value or a list of values");
        assertThatThrownBy(() -> parse("kafka: [a:1, [b:2]]\n"))
                .hasMessage("agent.yaml:1:14: kafka: expected a plain value here");
        assertThatThrownBy(() -> parse("a: &x [1]\nb: *x\n")).hasMessageStartingWith("agent.yaml");
        assertThatThrownBy(() -> ConfigFile.parse("agent.yaml", new byte[] {'a', ':', ' ', (byte) 0xff}))
                .hasMessage("agent.yaml: not UTF-8 text");
        assertThatThrownBy(() -> ConfigFile.parse("agent.yaml", new byte[ConfigFile.MAX_BYTES + 1]))
                .hasMessage("agent.yaml: larger than 1024 KiB; not a config file");
    }
}
