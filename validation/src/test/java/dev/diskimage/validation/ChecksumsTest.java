package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The checksum algorithms against their published check values, and the zeroed-field rule. */
class ChecksumsTest {
    /** The check input of the CRC catalogues. */
    private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);

    private static ByteBuffer buffer(byte[] bytes) {
        return ByteBuffer.wrap(bytes.clone());
    }

    @Test
    void crcsMatchTheirCatalogueCheckValues() {
        assertThat(Checksums.crc32(buffer(CHECK), CHECK.length)).isEqualTo(0xCBF43926L);
        assertThat(Checksums.crc16Itu(buffer(CHECK), 0, CHECK.length)).isEqualTo(0x31C3);
    }

    @Test
    void crc32cMatchesTheIscsiTestVectorOnceTheFieldIsZeroed() {
        // RFC 3720 B.4: CRC-32C of 32 zero bytes is 0x8A9136AA; a junk checksum field must not matter.
        byte[] zerosButTheField = new byte[32];
        zerosButTheField[8] = 0x12;
        zerosButTheField[11] = (byte) 0xef;

        assertThat(Checksums.crc32c(buffer(zerosButTheField), 32, 8)).isEqualTo(0x8A9136AAL);
        assertThat(Checksums.crc32c(buffer(zerosButTheField), 32, 12)).isNotEqualTo(0x8A9136AAL);
    }

    @Test
    void theChecksumFieldCountsAsZeroWhateverItHolds() {
        byte[] structure = new byte[64];
        for (int i = 0; i < structure.length; i++) {
            structure[i] = (byte) (i * 7);
        }
        byte[] zeroedField = structure.clone();
        Arrays.fill(zeroedField, 16, 20, (byte) 0);

        assertThat(Checksums.crc32(buffer(structure), 64, 16)).isEqualTo(Checksums.crc32(buffer(zeroedField), 64));
        assertThat(Checksums.crc32c(buffer(structure), 64, 16))
                .isEqualTo(Checksums.crc32c(buffer(zeroedField), 64, 16));
        assertThat(Checksums.crc32(buffer(structure), 64, 16)).isNotEqualTo(Checksums.crc32(buffer(structure), 64));
    }

    @Test
    void onlyTheGivenLengthIsChecksummed() {
        byte[] longer = new byte[CHECK.length + 3];
        System.arraycopy(CHECK, 0, longer, 0, CHECK.length);
        longer[CHECK.length] = 1;

        assertThat(Checksums.crc32(buffer(longer), CHECK.length)).isEqualTo(0xCBF43926L);
    }

    @Test
    void digestsMatchTheirTestVectorsAndZeroTheField() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        byte[] withField = {'a', 'b', 'c', 'X', 'Y'};
        byte[] withZeros = {'a', 'b', 'c', 0, 0};

        assertThat(HexFormat.of().formatHex(Checksums.digest("SHA-256", buffer(abc), 0, 3)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(HexFormat.of().formatHex(Checksums.digest("MD5", buffer(withField), 0, 3)))
                .isEqualTo("900150983cd24fb0d6963f7d28e17f72");
        assertThat(Checksums.digest("SHA-256", buffer(withField), 5, 3, 2))
                .isEqualTo(Checksums.digest("SHA-256", buffer(withZeros), 0, 5));
        assertThat(Checksums.digest("MD5", buffer(withField), 1, 2))
                .isEqualTo(Checksums.digest("MD5", buffer(new byte[] {'b', 'c'}), 0, 2));
    }

    @Test
    void checksumsReadAbsoluteIndexesAndLeaveThePositionAlone() {
        ByteBuffer moved = buffer(CHECK);
        moved.position(5);

        assertThat(Checksums.crc32(moved, CHECK.length)).isEqualTo(0xCBF43926L);
        assertThat(moved.position()).isEqualTo(5);
    }
}
