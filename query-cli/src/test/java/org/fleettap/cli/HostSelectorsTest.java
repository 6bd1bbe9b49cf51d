package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostSelectorsTest {

    @Test
    void labelsMustAllMatchAndHostItemsNameHosts() {
        TargetSelector s = HostSelectors.parse("zone=eu-1, role=db,host:web1,host:web2,host:web1");
        assertThat(s.getLabelsMap()).containsExactlyInAnyOrderEntriesOf(Map.of("zone", "eu-1", "role", "db"));
        assertThat(s.getHostIdsList()).containsExactly("web1", "web2");
    }

    @Test
    void hostItemsAloneAndLabelsAlone() {
        assertThat(HostSelectors.parse("host:web1")).isEqualTo(TargetSelector.newBuilder().addHostIds("web1").build());
        assertThat(HostSelectors.parse("k8s.io/zone=a")).isEqualTo(TargetSelector.newBuilder()
                .putLabels("k8s.io/zone", "a").build());
        // The same label with the same value twice is harmless.
        assertThat(HostSelectors.parse("a=1,a=1").getLabelsMap()).isEqualTo(Map.of("a", "1"));
    }

    @Test
    void formatsAsItParses() {
        assertThat(HostSelectors.format(HostSelectors.parse("zone=eu-1,host:web1,app=x")))
                .isEqualTo("app=x,zone=eu-1,host:web1");
        assertThat(HostSelectors.format(TargetSelector.getDefaultInstance())).isEqualTo("*");
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "''              | empty selector",
        "zone            | 'zone' is neither KEY=VALUE nor host:NAME",
        "zone=a,,role=b  | empty item in selector 'zone=a,,role=b'",
        "host:           | 'host:' names no host (expected host:NAME)",
        "=a              | '=a': bad label key '' (letters, digits, '.', '_', '/' and '-', starting with a letter or digit)",
        "zo ne=a         | 'zo ne=a': bad label key 'zo ne' (letters, digits, '.', '_', '/' and '-', starting with a letter or digit)",
        "zone=           | 'zone=': label zone has no value",
        "zone=a,zone=b   | label zone is given twice ('a' and 'b')",
    })
    void rejectsBadSelectorsInOneLine(String text, String message) {
        assertThatThrownBy(() -> HostSelectors.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void agentLabelsAreKeyValueItemsWithinTheCollectorsLimits() {
        assertThat(HostSelectors.labels("zone=eu-1,role=db")).containsExactly(Map.entry("zone", "eu-1"),
                Map.entry("role", "db"));
        assertThatThrownBy(() -> HostSelectors.labels("host:web1")).hasMessage("'host:web1' is not KEY=VALUE");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 65; i++) {
            many.append(i == 0 ? "" : ",").append("k").append(i).append("=v");
        }
        assertThatThrownBy(() -> HostSelectors.labels(many.toString()))
                .hasMessage("65 labels, more than the limit of 64");
        assertThatThrownBy(() -> HostSelectors.labels("k=" + "v".repeat(257)))
                .hasMessage("label k is longer than the limit of 256 bytes for a key or value");
        assertThat(List.of(HostSelectors.labels("a=b=c").get("a"))).containsExactly("b=c");
    }
}
