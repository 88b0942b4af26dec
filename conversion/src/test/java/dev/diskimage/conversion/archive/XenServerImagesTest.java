package dev.diskimage.conversion.archive;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XenServerImagesTest {

    @Test
    void vhdInOvfIsXenServer() {
        assertThat(XenServerImages.isXenServerFormat("vhd", "ovf")).isTrue();
    }

    @Test
    void otherFormatsAreNot() {
        assertThat(XenServerImages.isXenServerFormat("vhd", "bare")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("vhdx", "ovf")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("qcow2", "ovf")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("ovf", "vhd")).isFalse();
    }

    @Test
    void comparesExactlyAsCinderDoes() {
        assertThat(XenServerImages.isXenServerFormat("VHD", "ovf")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("vhd", "OVF")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("vpc", "ovf")).isFalse();
    }

    @Test
    void missingFormatsAreNot() {
        assertThat(XenServerImages.isXenServerFormat(null, "ovf")).isFalse();
        assertThat(XenServerImages.isXenServerFormat("vhd", null)).isFalse();
        assertThat(XenServerImages.isXenServerFormat(null, null)).isFalse();
    }
}
