package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VmdkSelfExtentTest {

    /** Every way a name can reach outside the image's own directory or a device. */
    static Stream<String> foreignNames() {
        return Stream.of(
                "/etc/hosts", "../x.vmdk", "sub/x.vmdk", "..", ".", "http://h/x", "file:///x",
                "nbd:localhost:10809", "nbd+unix:///x?socket=/s", "json:{}", "\\\\server\\share\\x",
                "\\\\?\\C:\\x", "\\\\.\\PhysicalDrive0", "C:\\x", "C:x.vmdk", "c:", "/dev/sda", "x.vmdk:stream",
                "NUL", "con.vmdk", "Com1.vmdk", "LPT\u00b9", "CONIN$", "..\uff0fx.vmdk", "a\uff3cb.vmdk",
                "a\u2215b.vmdk", "a\uff1ab", "a\tb.vmdk", "a\u001bb.vmdk", "a\u009bb.vmdk", "a\u202eb.vmdk",
                "a\u200bb.vmdk", "a\ufffdb.vmdk", "x.vmdk ", " x.vmdk", "x.vmdk.", "a\u2028b", "a".repeat(256));
    }

    @ParameterizedTest
    @MethodSource("foreignNames")
    void refusesNamesThatCanMeanAnotherFile(String name) {
        assertThat(VmdkSelfExtent.isBareFileName(name)).isFalse();
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20480, name, OptionalLong.empty()), 20480)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"disk.vmdk", "my disk.vmdk", "3f2a9c1e-0b6d-4d8e-9c55-1f0e2b7a9d01", "a..b.vmdk",
            "\u0434\u0438\u0441\u043a.vmdk", "console.vmdk", "nul-device.vmdk", "x~1.vmdk", ".hidden.vmdk"})
    void acceptsBareFileNames(String name) {
        assertThat(VmdkSelfExtent.isBareFileName(name)).isTrue();
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20480, name, OptionalLong.empty()), 20480)).isTrue();
    }

    @org.junit.jupiter.api.Test
    void selfExtentMustBeOneSparseExtentOfTheWholeCapacityAtOffsetZero() {
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20480, "d.vmdk", OptionalLong.of(0)), 20480)).isTrue();
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20480, "d.vmdk", OptionalLong.of(1)), 20480)).isFalse();
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20479, "d.vmdk", OptionalLong.empty()), 20480)).isFalse();
        assertThat(VmdkSelfExtent.namesImageItself(sparse(20480, "d.vmdk", OptionalLong.empty()), -1)).isFalse();
        VmdkDescriptor.Extent flat = new VmdkDescriptor.Extent(VmdkDescriptor.Access.RW, 20480,
                VmdkDescriptor.ExtentType.FLAT, Optional.of("d.vmdk"), OptionalLong.of(0), 0);
        assertThat(VmdkSelfExtent.namesImageItself(flat, 20480)).isFalse();
        VmdkDescriptor.Extent zero = new VmdkDescriptor.Extent(VmdkDescriptor.Access.RW, 20480,
                VmdkDescriptor.ExtentType.ZERO, Optional.empty(), OptionalLong.empty(), 0);
        assertThat(VmdkSelfExtent.namesImageItself(zero, 20480)).isFalse();
        assertThat(VmdkSelfExtent.isBareFileName("")).isFalse();
        assertThat(VmdkSelfExtent.isBareFileName("a".repeat(VmdkSelfExtent.MAX_NAME_BYTES))).isTrue();
    }

    private static VmdkDescriptor.Extent sparse(long sectors, String name, OptionalLong offset) {
        return new VmdkDescriptor.Extent(VmdkDescriptor.Access.RW, sectors, VmdkDescriptor.ExtentType.SPARSE,
                Optional.of(name), offset, 0);
    }
}
