package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy flags of convert as exact argument lists, compare's exit codes, and how convert runs. */
class QemuImgConvertFlagsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private QemuImgConvertRequest.Builder request() {
        return QemuImgConvertRequest.builder(dir.resolve("s.qcow2"), DiskFormat.QCOW2, dir.resolve("t.raw"),
                DiskFormat.RAW);
    }

    @Test
    void everyCopyFlagComesBeforeTheFileNamesInAFixedOrder() {
        List<String> args = request().cacheMode(CacheMode.NONE).sourceCacheMode(CacheMode.WRITEBACK)
                .existingTarget(true).targetIsZero(true).outOfOrderWrites(true).bitmaps(true).sparseSize(0)
                .rateLimit(1_048_576).coroutines(16).build().arguments();

        assertThat(args).containsExactly("convert", "-n", "--target-is-zero", "-W", "--bitmaps", "-S", "0",
                "-r", "1048576", "-m", "16", "-t", "none", "-T", "writeback", "-f", "qcow2", "-O", "raw",
                dir.resolve("s.qcow2").toString(), dir.resolve("t.raw").toString());
    }

    @Test
    void withoutFlagsOnlyFormatsAndFileNamesArePassed() {
        assertThat(request().build().arguments()).containsExactly("convert", "-f", "qcow2", "-O", "raw",
                dir.resolve("s.qcow2").toString(), dir.resolve("t.raw").toString());
    }

    @Test
    void anEncryptedSourceIsNamedThroughImageOptsWithItsDetectedDriverAndAPlainFileProtocol() {
        Path source = dir.resolve("a,b.luks");
        QemuObject secret = QemuObject.secretFile("sec0", dir.resolve("secret"));
        List<String> args = QemuImgConvertRequest.builder(source, DiskFormat.LUKS, dir.resolve("t.raw"), DiskFormat.RAW)
                .object(secret).sourceKeySecret("sec0").build().arguments();

        assertThat(args).containsExactly("convert", "--object", "secret,id=sec0,file=" + dir.resolve("secret"),
                "--image-opts", "-O", "raw", "driver=luks,key-secret=sec0,file.driver=file,file.filename="
                        + dir.resolve("a,,b.luks"), dir.resolve("t.raw").toString());
        assertThat(request().sourceKeySecret("sec0").build().arguments())
                .contains("driver=qcow2,encrypt.key-secret=sec0,file.driver=file,file.filename=" + dir.resolve("s.qcow2"))
                .doesNotContain("-f");
    }

    @Test
    void onlyLuksAndQcow2SourcesTakeAKeySecret() {
        assertThatThrownBy(() -> QemuImgConvertRequest.builder(dir.resolve("s.vmdk"), DiskFormat.VMDK,
                dir.resolve("t.raw"), DiskFormat.RAW).sourceKeySecret("sec0").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vmdk");
        assertThatThrownBy(() -> request().sourceKeySecret("sec0,file=x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encryptedResizeNeedsASecretObjectAndAnEncryptableFormat() {
        QemuImg qemu = QemuImg.system();
        Path image = dir.resolve("x.raw");
        assertThatThrownBy(() -> qemu.resizeEncrypted(image, DiskFormat.RAW, QemuObject.secretFile("s", image), 1,
                false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raw");
        assertThatThrownBy(() -> qemu.resizeEncrypted(image, DiskFormat.LUKS, new QemuObject("iothread",
                java.util.Map.of("id", "s")), 1, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> qemu.resizeEncrypted(image, DiskFormat.LUKS, QemuObject.secretFile("s", image), -1,
                false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void existingTargetAloneIsJustMinusN() {
        assertThat(request().existingTarget(true).build().arguments()).contains("-n")
                .doesNotContain("--target-is-zero");
    }

    @Test
    void targetIsZeroNeedsAnExistingTargetAndNoBackingFile() {
        assertThatThrownBy(() -> request().targetIsZero(true).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-n");
        assertThatThrownBy(() -> request().existingTarget(true).targetIsZero(true)
                .option("backing_file", "base.qcow2").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backing file");
    }

    @Test
    void outOfRangeFlagValuesAreRefusedWhenSet() {
        assertThatThrownBy(() -> request().rateLimit(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> request().sparseSize(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> request().coroutines(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> request().coroutines(17)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> request().timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void launcherRunsBeforeQemuImgAndTheStartListenerSeesTheProcess() throws IOException {
        Path qemu = ProcessRunnerTest.script(dir, "qemu-img", "printf '%s\\n' \"$0\" \"$@\" > '"
                + dir.resolve("args") + "'\n");
        AtomicReference<ProcessHandle> started = new AtomicReference<>();

        QemuImg.at(qemu).convert(request().launchedThrough(List.of("nice", "-n", "1"))
                .onStart(started::set).noTimeout().build());

        assertThat(started.get()).isNotNull();
        assertThat(Files.readAllLines(dir.resolve("args"))).startsWith(qemu.toString(), "convert");
    }

    @Test
    void perRequestTimeoutReplacesTheQemuImgOne() throws IOException {
        Path qemu = ProcessRunnerTest.script(dir, "qemu-img", "exec sleep 30\n");

        assertThatThrownBy(() -> QemuImg.at(qemu).convert(request().timeout(Duration.ofMillis(300)).build()))
                .isInstanceOfSatisfying(QemuImgConvertException.class, e -> assertThat(e.timedOut()).isTrue());
    }

    @Test
    void compareTellsIdenticalFromDifferentWithRealQemuImg() throws IOException {
        QemuImg qemu = QemuImg.system();
        Path raw = dir.resolve("a.raw");
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(MIB);
            file.seek(4096);
            file.write(new byte[] {1, 2, 3});
        }
        Path qcow2 = dir.resolve("a.qcow2");
        qemu.convert(QemuImgConvertRequest.builder(raw, DiskFormat.RAW, qcow2, DiskFormat.QCOW2).build());
        Path other = dir.resolve("b.raw");
        try (RandomAccessFile file = new RandomAccessFile(other.toFile(), "rw")) {
            file.setLength(MIB);
        }

        assertThat(qemu.compare(raw, DiskFormat.RAW, qcow2, DiskFormat.QCOW2, false))
                .isEqualTo(QemuImgComparison.IDENTICAL);
        assertThat(qemu.compare(raw, DiskFormat.RAW, other, DiskFormat.RAW, false))
                .isEqualTo(QemuImgComparison.DIFFERENT);
        assertThatThrownBy(() -> qemu.compare(raw, DiskFormat.RAW, dir.resolve("missing"), DiskFormat.RAW, false))
                .isInstanceOf(QemuImgException.class);
    }
}
