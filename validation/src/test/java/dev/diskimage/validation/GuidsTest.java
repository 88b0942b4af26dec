package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class GuidsTest {
    /** 00112233-4455-6677-8899-aabbccddeeff as Microsoft stores it, after two bytes of something else. */
    private static final byte[] MIXED = HexFormat.of().parseHex("abcd" + "33221100" + "5544" + "7766"
            + "8899aabbccddeeff");

    @Test
    void readsMicrosoftGuidsWithTheFirstThreeFieldsLittleEndian() {
        assertThat(Guids.mixedEndian(ByteBuffer.wrap(MIXED), 2))
                .isEqualTo(UUID.fromString("00112233-4455-6677-8899-aabbccddeeff"));
    }

    @Test
    void readsTheVhdxMetadataRegionGuidFromItsSpecBytes() {
        // MS-VHDX 2.2.3.1: the metadata region is 8B7CA206-4790-4B9A-B8FE-575F050F886E.
        byte[] stored = HexFormat.of().parseHex("06a27c8b9047 9a4b b8fe575f050f886e".replace(" ", ""));

        assertThat(Guids.mixedEndian(ByteBuffer.wrap(stored), 0)).isEqualTo(VhdxInspector.METADATA_REGION);
    }

    @Test
    void theBuffersByteOrderDoesNotMatter() {
        ByteBuffer little = ByteBuffer.wrap(MIXED).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(Guids.mixedEndian(little, 2)).isEqualTo(Guids.mixedEndian(ByteBuffer.wrap(MIXED), 2));
        assertThat(little.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theNilGuidIsSixteenZeroBytes() {
        byte[] bytes = new byte[20];

        assertThat(Guids.isNil(ByteBuffer.wrap(bytes), 2)).isTrue();
        bytes[17] = 1;
        assertThat(Guids.isNil(ByteBuffer.wrap(bytes), 2)).isFalse();
        assertThat(Guids.isNil(ByteBuffer.wrap(bytes), 0)).isTrue();
        bytes[17] = 0;
        bytes[2] = 1;
        assertThat(Guids.isNil(ByteBuffer.wrap(bytes), 2)).isFalse();
        assertThat(Guids.isNil(ByteBuffer.wrap(bytes), 3)).isTrue();
    }
}
