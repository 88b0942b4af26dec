package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one wipe every key, key material and passphrase copy in this module goes through. */
class SecretsTest {
    @Test
    void zeroesEveryArrayAndSkipsOnesNotMadeYet() {
        byte[] key = {1, 2, 3};
        byte[] material = new byte[1000];
        java.util.Arrays.fill(material, (byte) 0x5a);

        Secrets.wipe(key, null, material);

        assertThat(key).containsOnly(0).hasSize(3);
        assertThat(material).containsOnly(0).hasSize(1000);
    }

    @Test
    void zeroesTheWholeArrayBehindABufferNotOnlyItsRemainingBytes() {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode("pässwörd");
        encoded.get();

        Secrets.wipe(encoded);

        assertThat(encoded.array()).containsOnly(0);
    }

    @Test
    void aBufferWithoutAnAccessibleArrayIsLeftAlone() {
        ByteBuffer readOnly = ByteBuffer.wrap(new byte[] {7, 7}).asReadOnlyBuffer();

        Secrets.wipe(readOnly);

        assertThat(readOnly.get(0)).isEqualTo((byte) 7);
    }

    @Test
    void aComparedDigestIsZeroedWhateverTheAnswer() {
        byte[] stored = {1, 2, 3, 4};
        byte[] same = stored.clone();
        byte[] other = {1, 2, 3, 5};

        assertThat(LuksHeader.matches(same, stored)).isTrue();
        assertThat(LuksHeader.matches(other, stored)).isFalse();

        assertThat(same).containsOnly(0);
        assertThat(other).containsOnly(0);
        assertThat(stored).containsExactly(1, 2, 3, 4);
    }
}
