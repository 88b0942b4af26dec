package dev.diskimage.catalog.distro;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Versions and builds sort by number, not by text. */
class VersionOrderTest {
    private static List<String> sorted(String... values) {
        List<String> list = new ArrayList<>(List.of(values));
        list.sort(VersionOrder.INSTANCE);
        return list;
    }

    @Test
    void comparesRunsOfDigitsAsNumbers() {
        assertThat(sorted("10", "9", "40", "100", "39")).containsExactly("9", "10", "39", "40", "100");
        assertThat(sorted("1.14", "1.9", "1.5", "2.1")).containsExactly("1.5", "1.9", "1.14", "2.1");
        assertThat(sorted("22.04", "20.10", "24.04", "9.10")).containsExactly("9.10", "20.10", "22.04", "24.04");
        assertThat(sorted("20240307-1701", "20240211-1654", "20231228-1609"))
                .containsExactly("20231228-1609", "20240211-1654", "20240307-1701");
        assertThat(sorted("20240205.0", "20240205.10", "20240205.2"))
                .containsExactly("20240205.0", "20240205.2", "20240205.10");
    }

    @Test
    void aPrefixSortsFirstAndTextBreaksTies() {
        assertThat(sorted("15.5.1", "15.5", "15.6")).containsExactly("15.5", "15.5.1", "15.6");
        assertThat(sorted("9.1", "9-beta")).containsExactly("9-beta", "9.1");
        assertThat(VersionOrder.INSTANCE.compare("007", "7")).isNotZero();
        assertThat(VersionOrder.INSTANCE.compare("7", "7")).isZero();
        assertThat(VersionOrder.INSTANCE.compare("a", "b")).isNegative();
    }

    @Test
    void comparesNumbersLongerThanALong() {
        assertThat(VersionOrder.INSTANCE.compare("99999999999999999999999", "100000000000000000000000")).isNegative();
        assertThat(VersionOrder.INSTANCE.compare("0000000000000000000000001", "2")).isNegative();
    }

    @Test
    void isAntisymmetric() {
        List<String> values = List.of("", "1", "01", "1.0", "1a", "a1", "10", "9", "1.9", "1.10", "1-rc", "x");
        for (String a : values) {
            for (String b : values) {
                assertThat(Integer.signum(VersionOrder.INSTANCE.compare(a, b)))
                        .as(a + " vs " + b).isEqualTo(-Integer.signum(VersionOrder.INSTANCE.compare(b, a)));
            }
        }
    }

    @Test
    void textSortsBeforeANumberAtTheSamePlace() {
        assertThat(sorted("1a", "1", "a1", "a")).containsExactly("a", "a1", "1", "1a");
        assertThat(sorted("24.04", "beta", "9")).containsExactly("beta", "9", "24.04");
    }
}
