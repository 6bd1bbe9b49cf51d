package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "collector.example:7420 | collector.example | 7420 | collector.example:7420",
        "127.0.0.1:1            | 127.0.0.1         | 1    | 127.0.0.1:1",
        "[::1]:65535            | ::1               | 65535| [::1]:65535",
        "' localhost:80 '       | localhost         | 80   | localhost:80",
    })
    void parsesHostAndPort(String text, String host, int port, String printed) {
        HostPort a = HostPort.parse(text);
        assertThat(a.host()).isEqualTo(host);
        assertThat(a.port()).isEqualTo(port);
        assertThat(a).hasToString(printed);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "collector       | 'collector' is not HOST:PORT",
        ":7420           | ':7420' is not HOST:PORT",
        "host:           | 'host:' is not HOST:PORT",
        "host:0          | 'host:0' is not HOST:PORT (port '0' is not a number in 1..65535)",
        "host:65536      | 'host:65536' is not HOST:PORT (port '65536' is not a number in 1..65535)",
        "host:http       | 'host:http' is not HOST:PORT (port 'http' is not a number in 1..65535)",
        "::1:7420        | '::1:7420' is not HOST:PORT (an IPv6 host goes in brackets: [::1]:7420)",
        "[::1:7420       | '[::1:7420' is not HOST:PORT (an IPv6 host goes in brackets)",
        "h/x:80          | 'h/x:80' is not HOST:PORT (bad host 'h/x')",
        "http://h:80     | 'http://h:80' is not HOST:PORT (an IPv6 host goes in brackets: [::1]:7420)",
        "[]:80           | '[]:80' is not HOST:PORT (bad host '')",
    })
    void rejectsWhatIsNotHostPortInOneLine(String text, String message) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
