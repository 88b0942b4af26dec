package dev.diskimage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuSecretTest {
    private static final String PASSPHRASE = "s3cret, with comma";

    @TempDir
    Path dir;

    @Test
    void writesThePassphraseInto0600FileInside0700Directory() throws Exception {
        try (QemuSecret secret = QemuSecret.write("sec0", PASSPHRASE.getBytes(StandardCharsets.UTF_8), dir)) {
            assertThat(Files.readString(secret.file())).isEqualTo(PASSPHRASE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret.file())))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret.file().getParent())))
                    .isEqualTo("rwx------");
            assertThat(secret.file().getParent().getParent()).isEqualTo(dir);
        }
    }

    @Test
    void closeDeletesFileAndDirectoryAndMayBeRepeated() throws Exception {
        QemuSecret secret = QemuSecret.write("sec0", PASSPHRASE.toCharArray());
        Path file = secret.file();
        secret.close();
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
        secret.close();
    }

    @Test
    void closeOverwritesTheSecretWithZerosBeforeDeletingIt() throws Exception {
        // A second link to the same inode still sees the content after the name is gone: zeros.
        byte[] large = new byte[150_000];
        java.util.Arrays.fill(large, (byte) 'x');
        QemuSecret secret = QemuSecret.write("sec0", large, dir);
        Path link = Files.createLink(dir.resolve("second-link"), secret.file());

        secret.close();

        assertThat(secret.file()).doesNotExist();
        assertThat(Files.readAllBytes(link)).hasSize(150_000).containsOnly(0);
    }

    @Test
    void writesAPassphraseFromItsFileAndLeavesThatFileAsItWas() throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "from a file\n");
        try (QemuSecret secret = QemuSecret.write("sec0", Passphrase.fromFile(key), dir)) {
            assertThat(secret.file().getParent().getParent()).isEqualTo(dir);
            assertThat(Files.readString(secret.file())).isEqualTo("from a file\n");
            assertThat(secret.id()).isEqualTo("sec0");
        }
        assertThat(key).hasContent("from a file\n");
        assertThat(Files.list(dir)).containsExactly(key);
    }

    @Test
    void closeCopesWithAFileAlreadyGone() throws Exception {
        QemuSecret secret = QemuSecret.write("sec0", new byte[] {1, 2}, dir);
        Files.delete(secret.file());
        secret.close();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void exposesTheQemuObjectWithFileNeverData() {
        try (QemuSecret secret = QemuSecret.write("key-1", PASSPHRASE.getBytes(StandardCharsets.UTF_8), dir)) {
            assertThat(secret.object().properties())
                    .containsExactly(Map.entry("id", "key-1"), Map.entry("file", secret.file().toString()));
            assertThat(secret.object().toArgument()).isEqualTo("secret,id=key-1,file=" + secret.file())
                    .doesNotContain(PASSPHRASE).doesNotContain("data=");
            assertThat(secret.id()).isEqualTo("key-1");
        }
    }

    @Test
    void toStringNamesIdAndFileButNeverTheContent() {
        try (QemuSecret secret = QemuSecret.write("sec0", PASSPHRASE.getBytes(StandardCharsets.UTF_8), dir)) {
            assertThat(secret.toString()).contains("sec0", secret.file().toString()).doesNotContain(PASSPHRASE)
                    .doesNotContain("s3cret");
        }
    }

    @Test
    void charPassphrasesAreWrittenAsUtf8AndLeftUnchanged() throws Exception {
        char[] passphrase = "pässwörd".toCharArray();
        try (QemuSecret secret = QemuSecret.write("sec0", passphrase)) {
            assertThat(Files.readAllBytes(secret.file())).isEqualTo("pässwörd".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(passphrase).containsExactly("pässwörd".toCharArray());
    }

    @Test
    void refusesIdsQemuWouldMisreadWithoutWritingAnything() {
        for (String id : new String[] {"", "0sec", "sec,file=/etc/passwd", "a b", "x".repeat(65)}) {
            assertThatThrownBy(() -> QemuSecret.write(id, new byte[] {1}, dir)).as(id)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aMissingParentIsATypedErrorNamingIt() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> QemuSecret.write("sec0", new byte[] {1}, missing))
                .isInstanceOf(dev.diskimage.core.ImageIoException.class).hasMessageContaining(missing.toString());
    }

    private static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    @Test
    void theNextWriteWipesAndRemovesTheSecretOfAJvmThatDiedWithoutClosingIt() throws Exception {
        Path orphan = Files.createDirectory(dir.resolve("diskimage-secret-" + deadPid() + "-42"));
        Path orphanSecret = Files.writeString(orphan.resolve("secret"), "left behind");
        Path mine = Files.createDirectory(dir.resolve("diskimage-secret-" + ProcessHandle.current().pid() + "-7"));

        try (QemuSecret secret = QemuSecret.write("s", "new".getBytes(StandardCharsets.UTF_8), dir)) {
            assertThat(secret.file().getParent().getFileName().toString())
                    .startsWith("diskimage-secret-" + ProcessHandle.current().pid() + "-");
            assertThat(orphanSecret).doesNotExist();
            assertThat(orphan).doesNotExist();
            assertThat(mine).as("a live JVM's directory").exists();
        }
    }

    @Test
    void removingStaleSecretsNamesWhatWasRemovedAndWipesBeforeDeleting() throws Exception {
        Path orphan = Files.createDirectory(dir.resolve("diskimage-secret-" + deadPid() + "-42"));
        Path otherLink = Files.createLink(dir.resolve("other-link"), Files.writeString(orphan.resolve("secret"),
                "left behind"));
        Path mine = Files.createDirectory(dir.resolve("diskimage-secret-" + ProcessHandle.current().pid() + "-7"));

        assertThat(QemuSecret.removeStale(dir)).containsExactly(orphan);

        assertThat(orphan).doesNotExist();
        assertThat(otherLink).as("the same inode, wiped before its name was deleted").hasBinaryContent(new byte[11]);
        assertThat(mine).exists();
    }

    @Test
    void removingStaleSecretsNeverWritesThroughALink() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path orphan = Files.createDirectory(dir.resolve("diskimage-secret-" + deadPid() + "-1"));
        Files.createSymbolicLink(orphan.resolve("secret"), victim);
        Path linkedDirectory = Files.createSymbolicLink(dir.resolve("diskimage-secret-" + deadPid() + "-2"), orphan);

        assertThat(QemuSecret.removeStale(dir)).isEmpty();

        assertThat(victim).hasContent("precious");
        assertThat(linkedDirectory).exists();
    }
}
