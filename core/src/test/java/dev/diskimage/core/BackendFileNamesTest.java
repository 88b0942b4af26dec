package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackendFileNamesTest {

    @Test
    void keepsPlainCharactersAndPercentEncodesEverythingElse() {
        assertThat(BackendFileNames.encode("lvm_1-fast")).isEqualTo("lvm_1-fast");
        assertThat(BackendFileNames.encode("host@lvm#pool")).isEqualTo("host%40lvm%23pool");
        assertThat(BackendFileNames.encode("a.b")).isEqualTo("a%2Eb");
        assertThat(BackendFileNames.encode("100%")).isEqualTo("100%25");
        assertThat(BackendFileNames.encode("ü/x")).isEqualTo("%C3%BC%2Fx");
    }

    @Test
    void aBackendNeverClaimsAnotherBackendsFiles() {
        String lvmB = BackendFileNames.prefixFor("lvm-b") + "tmp123";
        String bDotX = BackendFileNames.prefixFor("b.x") + "tmp123";
        String b = BackendFileNames.prefixFor("b") + "tmp123";

        assertThat(BackendFileNames.belongsTo(b, "b")).isTrue();
        assertThat(BackendFileNames.belongsTo(lvmB, "b")).isFalse();
        assertThat(BackendFileNames.belongsTo(bDotX, "b")).isFalse();
        assertThat(BackendFileNames.belongsTo(b, "b.x")).isFalse();
        assertThat(BackendFileNames.belongsTo("diskimage.b", "b")).isFalse();
    }
}
