package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.ImageIoException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassphraseTest {
    @TempDir
    Path dir;

    @Test
    void inMemoryBytesAreCopiedInAndOut() {
        byte[] secret = "s3cret".getBytes(StandardCharsets.US_ASCII);
        Passphrase passphrase = Passphrase.of(secret);
        secret[0] = 'X';

        byte[] first = passphrase.bytes();
        first[1] = 'Y';

        assertThat(passphrase.bytes()).isEqualTo("s3cret".getBytes(StandardCharsets.US_ASCII));
        assertThat(passphrase.file()).isEmpty();
    }

    @Test
    void charactersAreEncodedAsUtf8LikeCryptsetupReadsATypedPassphrase() {
        assertThat(Passphrase.of("pässwörd".toCharArray()).bytes())
                .isEqualTo("pässwörd".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anEmptyPassphraseIsRefused() {
        assertThatThrownBy(() -> Passphrase.of(new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the passphrase is empty");
        assertThatThrownBy(() -> Passphrase.of(new char[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFileIsReadWholeWhenNeededNewlineIncluded() throws Exception {
        Path key = dir.resolve("key");
        Passphrase passphrase = Passphrase.fromFile(key);
        Files.writeString(key, "line\n");

        assertThat(passphrase.bytes()).isEqualTo("line\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(passphrase.file()).contains(key);
    }

    @Test
    void aFileAtTheSizeCapIsReadAndOneByteMoreIsRefused() throws Exception {
        Path atCap = Files.write(dir.resolve("cap"), new byte[(int) LuksHeader.MAX_PASSPHRASE_FILE]);
        Path over = Files.write(dir.resolve("over"), new byte[(int) LuksHeader.MAX_PASSPHRASE_FILE + 1]);

        assertThat(Passphrase.fromFile(atCap).bytes()).hasSize((int) LuksHeader.MAX_PASSPHRASE_FILE);
        assertThatThrownBy(() -> Passphrase.fromFile(over).bytes()).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("over").hasMessageContaining("larger than");
    }

    @Test
    void aMissingOrEmptyFileIsAnIoErrorNamingIt() throws Exception {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);

        assertThatThrownBy(() -> Passphrase.fromFile(dir.resolve("missing")).bytes())
                .isInstanceOf(ImageIoException.class).hasMessageContaining("missing");
        assertThatThrownBy(() -> Passphrase.fromFile(empty).bytes()).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void toStringSaysWhereThePassphraseComesFromNeverWhatItIs() {
        assertThat(Passphrase.of("hunter2".toCharArray())).hasToString("Passphrase[in memory]");
        assertThat(Passphrase.fromFile(dir.resolve("k"))).hasToString("Passphrase[file=" + dir.resolve("k") + "]");
    }

    @Test
    void nullsAreRefused() {
        assertThatThrownBy(() -> Passphrase.fromFile(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Passphrase.of((byte[]) null)).isInstanceOf(NullPointerException.class);
    }
}
