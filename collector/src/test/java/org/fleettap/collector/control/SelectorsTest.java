package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SelectorsTest {
    private static final Map<String, String> LABELS = Map.of("zone", "eu-1", "role", "db");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("empty selector matches every host", Map.of(), List.of(), true),
                Arguments.of("one equal label", Map.of("zone", "eu-1"), List.of(), true),
                Arguments.of("every label equal", Map.of("zone", "eu-1", "role", "db"), List.of(), true),
                Arguments.of("one label differs", Map.of("zone", "eu-1", "role", "web"), List.of(), false),
                Arguments.of("label the host lacks", Map.of("rack", "7"), List.of(), false),
                Arguments.of("empty value is not a missing label", Map.of("rack", ""), List.of(), false),
                Arguments.of("host id listed", Map.of(), List.of("other", "host-a"), true),
                Arguments.of("host id not listed", Map.of(), List.of("other"), false),
                Arguments.of("host listed and labels equal", Map.of("role", "db"), List.of("host-a"), true),
                Arguments.of("host listed, label differs", Map.of("role", "web"), List.of("host-a"), false),
                Arguments.of("labels equal, host not listed", Map.of("role", "db"), List.of("host-b"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matches(String name, Map<String, String> labels, List<String> hosts, boolean expected) {
        TargetSelector s = TargetSelector.newBuilder().putAllLabels(labels).addAllHostIds(hosts).build();
        assertThat(Selectors.matches(s, "host-a", LABELS)).isEqualTo(expected);
    }
}
