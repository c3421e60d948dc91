package rund.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobControllerClientTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "plain                 | plain",
        "a%20b                 | a b",
        "100%25                | 100%",
        "f%C3%BCr              | für",
        "a+b                   | a+b",
        "bad%zz                | bad%zz",
        "end%                  | end%",
        "end%4                 | end%4",
        "%0Aline               | '\nline'",
    })
    void grpcMessagesArePercentDecoded(String encoded, String decoded) {
        assertEquals(decoded, JobControllerClient.percentDecode(encoded));
    }
}
