package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.core.QemuImgException;
import dev.diskimage.crypto.CipherSpec;
import dev.diskimage.crypto.LuksHeader;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.crypto.QemuSecret;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted conversions with the real qemu-img, read back by {@link LuksHeader} and by
 * {@code cryptsetup} (a required oracle: these tests fail without it), content compared by
 * decrypting and {@code qemu-img compare}.
 */
class EncryptedConversionTest {
    private static final QemuImg QEMU = QemuImg.system();
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());
    private static final CipherSpec XTS_512 = CipherSpec.decode("aes-xts-plain64", 512);
    private static final String FIRST = "first passphrase 9f3c";
    private static final String SECOND = "second passphrase 71ab";
    private static final String WRONG = "not the passphrase 0d2e";
    private static final Duration FAST_KDF = Duration.ofMillis(10);
    private static final String SECRET_DIRECTORY = "diskimage-secret-";
    private static final String CRYPTSETUP = Files.isExecutable(Path.of("/usr/sbin/cryptsetup"))
            ? "/usr/sbin/cryptsetup" : "cryptsetup";

    private final ImageConverter converter = ImageConverter.using(QEMU, VALIDATOR);

    @TempDir
    Path dir;

    private Conversion running;

    @AfterEach
    void noSecretFileStaysBehind() throws Exception {
        if (running != null && running.cancel()) {
            try {
                running.await();
            } catch (RuntimeException ignored) {
                // only the cleanup matters here
            }
        }
        assertThat(TestImages.filesNamed(dir, SECRET_DIRECTORY)).as("secret directories").isEmpty();
        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).isEmpty();
    }

    private Path passphraseFile(String name, String passphrase) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, passphrase, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private Path plain(String name) throws IOException {
        return TestImages.raw(dir, name, 4 * TestImages.MIB, name.hashCode());
    }

    private LuksTarget luks(String passphrase) {
        return LuksTarget.of(XTS_512, passphrase.getBytes(StandardCharsets.UTF_8)).withIterTime(FAST_KDF);
    }

    /** A LUKS1 volume made by qemu-img directly (not by the code under test). */
    private Path qemuLuks(Path plain, String name, String passphrase) {
        Path volume = dir.resolve(name);
        for (int attempt = 1; ; attempt++) {
            try (QemuSecret secret = QemuSecret.write("s", passphrase.getBytes(StandardCharsets.UTF_8), dir)) {
                QEMU.convert(QemuImgConvertRequest.builder(plain, DiskFormat.RAW, volume, DiskFormat.LUKS)
                        .object(secret.object()).option("key-secret", "s").option("iter-time", "10").build());
                return volume;
            } catch (QemuImgException e) {
                if (attempt == QemuImg.PBKDF_BENCHMARK_ATTEMPTS || !e.stderrTail().contains(QemuImg.PBKDF_BENCHMARK_FLAKE)) {
                    throw e;
                }
            }
        }
    }

    private Path decrypted(Path encrypted, DiskFormat format, String passphrase, String name) {
        Path back = dir.resolve(name);
        converter.convertNow(ConvertRequest.builder(encrypted, back, DiskFormat.RAW).sourceFormat(format)
                .sourcePassphrase(Passphrase.of(passphrase.getBytes(StandardCharsets.UTF_8))).decrypt(true).build());
        return back;
    }

    private static String run(List<String> command, int expectedExit) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isEqualTo(expectedExit);
        return output;
    }

    private static int cryptsetupTest(Path volume, Path keyFile) throws Exception {
        Process process = new ProcessBuilder(CRYPTSETUP, "open", "--test-passphrase", "--key-file",
                keyFile.toString(), volume.toString()).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    @Test
    void rawBecomesALuksVolumeThatLuksHeaderAndCryptsetupOpen() throws Exception {
        Path source = plain("plain.raw");
        Path target = dir.resolve("disk.luks");

        ConversionResult result = converter.convertNow(ConvertRequest.builder(source, target, DiskFormat.LUKS)
                .sourceFormat(DiskFormat.RAW).encryption(luks(FIRST)).build());

        assertThat(result.targetFormat()).isEqualTo(DiskFormat.LUKS);
        assertThat(result.command()).containsSubsequence("-O", "luks", "-o")
                .anySatisfy(arg -> assertThat(arg).startsWith("secret,id=sec1,file=").doesNotContain(FIRST))
                .anySatisfy(arg -> assertThat(arg).contains("key-secret=sec1").contains("cipher-alg=aes-256")
                        .contains("cipher-mode=xts").contains("ivgen-alg=plain64").contains("iter-time=10"))
                .noneSatisfy(arg -> assertThat(arg).contains(FIRST));
        LuksHeader header = LuksHeader.read(target);
        assertThat(header.version()).isEqualTo(1);
        assertThat(header.cipher()).isEqualTo("aes-xts-plain64");
        assertThat(header.keySizeBits()).isEqualTo(512);
        assertThat(header.unlocks(FIRST.getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(header.unlocks(WRONG.getBytes(StandardCharsets.UTF_8))).isFalse();
        String dump = run(List.of(CRYPTSETUP, "luksDump", target.toString()), 0);
        assertThat(dump).containsPattern("Version:\\s+1").containsPattern("Cipher name:\\s+aes")
                .containsPattern("Cipher mode:\\s+xts-plain64").containsPattern("MK bits:\\s+512")
                .contains(header.uuid());
        assertThat(cryptsetupTest(target, passphraseFile("first.key", FIRST))).isZero();
        assertThat(cryptsetupTest(target, passphraseFile("wrong.key", WRONG))).isNotZero();

        Path back = decrypted(target, DiskFormat.LUKS, FIRST, "back.raw");
        assertThat(QEMU.compare(source, DiskFormat.RAW, back, DiskFormat.RAW, false))
                .isEqualTo(QemuImgComparison.IDENTICAL);
    }

    @Test
    void rawBecomesQcow2WithLuksEncryptionAndDecryptsToTheSameContent() throws Exception {
        Path source = plain("plain.raw");
        Path target = dir.resolve("disk.qcow2");
        LuksTarget encryption = LuksTarget.of(CipherSpec.decode("aes-cbc-essiv:sha256", 256),
                passphraseFile("first.key", FIRST)).withIterTime(FAST_KDF);

        ConversionResult result = converter.convertNow(ConvertRequest.builder(source, target, DiskFormat.QCOW2)
                .encryption(encryption).build());

        assertThat(result.command()).anySatisfy(arg -> assertThat(arg).startsWith("encrypt.format=luks,"
                + "encrypt.key-secret=sec1,encrypt.cipher-alg=aes-256,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv,"
                + "encrypt.ivgen-hash-alg=sha256,encrypt.iter-time=10"));
        String info = run(List.of(QEMU.binary().toString(), "info", "-f", "qcow2", "--output=json", target.toString()), 0);
        assertThat(info).contains("\"encrypted\": true").contains("\"format\": \"luks\"")
                .contains("\"cipher-alg\": \"aes-256\"").contains("\"cipher-mode\": \"cbc\"")
                .contains("\"ivgen-alg\": \"essiv\"");
        assertThat(VALIDATOR.check(target, DiskFormat.QCOW2).report().details()).containsEntry("encrypted", "luks");
        Path header = embeddedLuksHeader(target);
        LuksHeader luks = LuksHeader.read(header);
        assertThat(luks.cipher()).isEqualTo("aes-cbc-essiv:sha256");
        assertThat(luks.keySizeBits()).isEqualTo(256);
        assertThat(luks.unlocks(FIRST.getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(luks.unlocks(WRONG.getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(run(List.of(CRYPTSETUP, "luksDump", header.toString()), 0)).containsPattern("Version:\\s+1")
                .containsPattern("Cipher mode:\\s+cbc-essiv:sha256").containsPattern("MK bits:\\s+256");

        Path back = decrypted(target, DiskFormat.QCOW2, FIRST, "back.raw");
        assertThat(QEMU.compare(source, DiskFormat.RAW, back, DiskFormat.RAW, false))
                .isEqualTo(QemuImgComparison.IDENTICAL);
    }

    /**
     * The LUKS header qemu embeds in an encrypted qcow2, copied to a file of its own: qcow2 spec,
     * header extension 0x0537be77 (full disk encryption) holds its offset and length.
     */
    private Path embeddedLuksHeader(Path qcow2) throws IOException {
        java.nio.ByteBuffer image = java.nio.ByteBuffer.wrap(Files.readAllBytes(qcow2));
        int offset = image.getInt(100); // qcow2 v3: header_length
        while (true) {
            int type = image.getInt(offset);
            int length = image.getInt(offset + 4);
            assertThat(type).as("no encryption header extension").isNotZero();
            if (type == 0x0537be77) {
                int start = (int) image.getLong(offset + 8);
                int size = (int) image.getLong(offset + 16);
                Path header = dir.resolve("embedded.luks");
                Files.write(header, java.util.Arrays.copyOfRange(image.array(), start, start + size));
                return header;
            }
            offset += 8 + (length + 7) / 8 * 8;
        }
    }

    @Test
    void luksBecomesLuksUnderANewPassphrase() throws Exception {
        Path source = plain("plain.raw");
        Path first = qemuLuks(source, "first.luks", FIRST);
        Path second = dir.resolve("second.luks");

        ConversionResult result = converter.convertNow(ConvertRequest.builder(first, second, DiskFormat.LUKS)
                .sourceFormat(DiskFormat.LUKS).sourcePassphrase(passphraseFile("first.key", FIRST))
                .encryption(LuksTarget.of(XTS_512, passphraseFile("second.key", SECOND)).withIterTime(FAST_KDF))
                .build());

        assertThat(result.command()).contains("--image-opts").doesNotContain("-f")
                .anySatisfy(arg -> assertThat(arg).isEqualTo("driver=luks,key-secret=sec0,file.driver=file,"
                        + "file.filename=" + first))
                .noneSatisfy(arg -> assertThat(arg).contains(FIRST))
                .noneSatisfy(arg -> assertThat(arg).contains(SECOND));
        LuksHeader header = LuksHeader.read(second);
        assertThat(header.unlocks(SECOND.getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(header.unlocks(FIRST.getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(header.uuid()).isNotEqualTo(LuksHeader.read(first).uuid());
        Path back = decrypted(second, DiskFormat.LUKS, SECOND, "back.raw");
        assertThat(QEMU.compare(source, DiskFormat.RAW, back, DiskFormat.RAW, false))
                .isEqualTo(QemuImgComparison.IDENTICAL);
    }

    @Test
    void encryptedSourceToPlainTargetWithoutDecryptIsRefusedBeforeQemuImgRuns() throws Exception {
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);
        Path calls = dir.resolve("calls");
        QemuImg recording = QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"), calls));
        Path target = dir.resolve("out.raw");

        assertThatThrownBy(() -> ImageConverter.using(recording, VALIDATOR).convertNow(ConvertRequest
                .builder(volume, target, DiskFormat.RAW).sourcePassphrase(passphraseFile("first.key", FIRST)).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.DECRYPTION_NOT_ALLOWED))
                .hasMessageContaining(volume.toString()).message().doesNotContain(FIRST);
        assertThat(calls).doesNotExist();
        assertThat(target).doesNotExist();
    }

    @Test
    void wrongPassphraseIsRefusedBeforeQemuImgRunsWithoutNamingIt() throws Exception {
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);
        Path calls = dir.resolve("calls");
        QemuImg recording = QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"), calls));
        Path target = dir.resolve("out.raw");
        ConvertRequest request = ConvertRequest.builder(volume, target, DiskFormat.RAW)
                .sourcePassphrase(Passphrase.of(WRONG.getBytes(StandardCharsets.UTF_8))).decrypt(true).build();

        assertThatThrownBy(() -> ImageConverter.using(recording, VALIDATOR).convertNow(request))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.WRONG_PASSPHRASE))
                .hasMessage("the passphrase does not unlock " + volume);
        assertThat(calls).doesNotExist();
        assertThat(target).doesNotExist();
        assertThat(request.toString()).doesNotContain(WRONG).contains("Passphrase[in memory]");
    }

    @Test
    void wrongPassphraseOfEncryptedQcow2IsRefusedWhenQemuImgOpensIt() throws Exception {
        Path qcow2 = dir.resolve("disk.qcow2");
        converter.convertNow(ConvertRequest.builder(plain("plain.raw"), qcow2, DiskFormat.QCOW2)
                .encryption(luks(FIRST)).build());
        Path target = dir.resolve("out.raw");

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(qcow2, target, DiskFormat.RAW)
                .sourcePassphrase(Passphrase.of(WRONG.toCharArray())).decrypt(true).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.WRONG_PASSPHRASE))
                .message().doesNotContain(WRONG);
        assertThat(target).doesNotExist();
    }

    @Test
    void encryptedSourceWithoutPassphraseIsRefused() throws Exception {
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(volume, dir.resolve("out.luks"),
                DiskFormat.LUKS).encryption(luks(SECOND)).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.PASSPHRASE_MISSING))
                .hasMessageContaining(volume.toString());
    }

    @Test
    void missingPassphraseFileIsNamed() throws Exception {
        Path missing = dir.resolve("no-such.key");
        Path target = dir.resolve("out.luks");

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(plain("plain.raw"), target,
                DiskFormat.LUKS).encryption(LuksTarget.of(XTS_512, missing)).build()))
                .isInstanceOf(ImageIoException.class).hasMessageContaining(missing.toString());
        assertThat(target).doesNotExist();
    }

    @Test
    void luks2SourceIsRefusedBecauseQemuImgOpensLuks1Only() throws Exception {
        Path volume = dir.resolve("luks2.img");
        try (var file = new java.io.RandomAccessFile(volume.toFile(), "rw")) {
            file.setLength(32 * TestImages.MIB);
        }
        Path key = passphraseFile("first.key", FIRST);
        run(List.of(CRYPTSETUP, "luksFormat", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations",
                "1000", "--batch-mode", "--key-file", key.toString(), volume.toString()), 0);

        assertThatThrownBy(() -> converter.convertNow(ConvertRequest.builder(volume, dir.resolve("out.raw"),
                DiskFormat.RAW).sourcePassphrase(key).decrypt(true).build()))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.ENCRYPTION_UNSUPPORTED))
                .hasMessageContaining("LUKS2");
    }

    @Test
    void secretFileIs0600InA0700DirectoryWhileQemuImgRunsAndNeverOnItsCommandLine() throws Exception {
        Path source = TestImages.raw(dir, "slow.raw", 16 * TestImages.MIB, 3);
        Path target = dir.resolve("slow.luks");
        running = converter.convert(ConvertRequest.builder(source, target, DiskFormat.LUKS)
                .encryption(luks(FIRST)).throttle(Throttle.rateLimit(1 << 20)).build());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (TestImages.processesMentioning("slow.luks").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<Long> pids = TestImages.processesMentioning("slow.luks");
        assertThat(pids).as("qemu-img running").isNotEmpty();

        String cmdline = new String(Files.readAllBytes(Path.of("/proc", pids.get(0).toString(), "cmdline")),
                StandardCharsets.UTF_8).replace('\0', ' ');
        assertThat(cmdline).contains("secret,id=sec1,file=").doesNotContain(FIRST);
        List<Path> secrets = TestImages.filesNamed(dir, SECRET_DIRECTORY);
        assertThat(secrets).hasSize(1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.get(0)))).isEqualTo("rwx------");
        Path secretFile = secrets.get(0).resolve("secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");
        assertThat(Files.readString(secretFile)).isEqualTo(FIRST);

        running.cancel();
        assertThatThrownBy(running::await).isInstanceOf(ConversionCancelledException.class)
                .message().doesNotContain(FIRST);
        assertThat(secrets.get(0)).doesNotExist();
        assertThat(target).doesNotExist();
    }

    @Test
    void secretFilesAreDeletedWhenQemuImgFails() throws Exception {
        Path failing = TestImages.script(dir.resolve("bin"), "case \"$1\" in convert) echo 'qemu-img: boom' >&2;"
                + " exit 1;; esac\nexec '" + TestImages.REAL_QEMU_IMG + "' \"$@\"");
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);
        Path target = dir.resolve("out.luks");

        assertThatThrownBy(() -> ImageConverter.using(QemuImg.at(failing), VALIDATOR).convertNow(
                ConvertRequest.builder(volume, target, DiskFormat.LUKS).sourcePassphrase(
                        passphraseFile("first.key", FIRST)).encryption(luks(SECOND)).build()))
                .isInstanceOf(ConversionFailedException.class)
                .message().doesNotContain(FIRST).doesNotContain(SECOND);
        assertThat(target).doesNotExist();
    }

    @Test
    void flakyPbkdfBenchmarkIsRetried() throws Exception {
        Path counter = dir.resolve("attempts");
        Path flaky = TestImages.script(dir.resolve("bin"), "if [ \"$1\" = convert ]; then echo x >> '" + counter
                + "'; if [ $(wc -l < '" + counter + "') -lt 3 ]; then echo 'qemu-img: out: error while converting"
                + " luks: Unable to get accurate CPU usage' >&2; exit 1; fi; fi\nexec '" + TestImages.REAL_QEMU_IMG
                + "' \"$@\"");
        Path source = plain("plain.raw");
        Path target = dir.resolve("out.luks");

        ImageConverter.using(QemuImg.at(flaky), VALIDATOR).convertNow(ConvertRequest.builder(source, target,
                DiskFormat.LUKS).encryption(luks(FIRST)).build());

        // Two injected flakes, then the real qemu-img (whose own benchmark may flake once more).
        assertThat(Files.readAllLines(counter)).hasSizeGreaterThanOrEqualTo(3);
        assertThat(LuksHeader.read(target).unlocks(FIRST.getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void requestsThatCannotBeEncryptedAreRefusedWhenBuilt() throws Exception {
        Path source = dir.resolve("any.raw");
        assertThatThrownBy(() -> ConvertRequest.builder(source, dir.resolve("out.luks"), DiskFormat.LUKS).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encryption");
        assertThatThrownBy(() -> ConvertRequest.builder(source, dir.resolve("out.vmdk"), DiskFormat.VMDK)
                .encryption(luks(FIRST)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vmdk");
        assertThatThrownBy(() -> ConvertRequest.builder(source, dir.resolve("out.qcow2"), DiskFormat.QCOW2)
                .option("encrypt.key-secret", "x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encrypt.key-secret");
        assertThatThrownBy(() -> ConvertRequest.builder(source, dir.resolve("out.qcow2"), DiskFormat.QCOW2)
                .existingTarget(false).encryption(luks(FIRST)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("existing target");
    }

    @Test
    void toStringsNameWhereThePassphraseComesFromNeverWhatItIs() {
        LuksTarget target = luks(FIRST);
        ConvertRequest request = ConvertRequest.builder(dir.resolve("a.luks"), dir.resolve("b.qcow2"), DiskFormat.QCOW2)
                .sourcePassphrase(Passphrase.of(SECOND.toCharArray())).encryption(target).build();

        assertThat(target.toString()).isEqualTo("LuksTarget[cipher=aes-xts-plain64/512, passphrase=Passphrase[in memory],"
                + " iterTime=10ms]");
        assertThat(request.toString()).doesNotContain(FIRST).doesNotContain(SECOND).contains("b.qcow2");
        assertThat(Passphrase.fromFile(dir.resolve("k")).toString()).isEqualTo("Passphrase[file=" + dir.resolve("k") + "]");
    }

    @Test
    void luksVolumeResizesWithItsPassphrase() throws Exception {
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);
        Path key = passphraseFile("first.key", FIRST);

        converter.resize(volume, DiskFormat.LUKS, 8 * TestImages.MIB, false, Passphrase.fromFile(key));

        assertThat(QEMU.info(volume, DiskFormat.LUKS).virtualSize()).isEqualTo(8 * TestImages.MIB);
        assertThat(LuksHeader.read(volume).unlocks(FIRST.getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void encryptedQcow2ResizesWithItsPassphrase() throws Exception {
        Path qcow2 = dir.resolve("disk.qcow2");
        converter.convertNow(ConvertRequest.builder(plain("plain.raw"), qcow2, DiskFormat.QCOW2)
                .encryption(luks(FIRST)).build());

        converter.resize(qcow2, DiskFormat.QCOW2, 8 * TestImages.MIB, false,
                Passphrase.of(FIRST.getBytes(StandardCharsets.UTF_8)));

        assertThat(QEMU.info(qcow2, DiskFormat.QCOW2).virtualSize()).isEqualTo(8 * TestImages.MIB);
    }

    @Test
    void encryptedResizeWithoutOrWithAWrongPassphraseIsRefusedBeforeQemuImgRuns() throws Exception {
        Path volume = qemuLuks(plain("plain.raw"), "disk.luks", FIRST);
        Path calls = dir.resolve("calls");
        ImageConverter recording = ImageConverter.using(
                QemuImg.at(TestImages.recordingQemuImg(dir.resolve("bin"), calls)), VALIDATOR);

        assertThatThrownBy(() -> recording.resize(volume, DiskFormat.LUKS, 8 * TestImages.MIB, false))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.PASSPHRASE_MISSING));
        assertThatThrownBy(() -> recording.resize(volume, DiskFormat.LUKS, 8 * TestImages.MIB, false,
                Passphrase.of(WRONG.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(ConversionRefusedException.class, e -> assertThat(e.reason())
                        .isEqualTo(Reason.WRONG_PASSPHRASE))
                .message().doesNotContain(WRONG);
        List<String> resizes = new ArrayList<>();
        if (Files.exists(calls)) {
            Files.readAllLines(calls).stream().filter(line -> line.startsWith("resize")).forEach(resizes::add);
        }
        assertThat(resizes).isEmpty();
        assertThat(QEMU.info(volume, DiskFormat.LUKS).virtualSize()).isEqualTo(4 * TestImages.MIB);
    }
}
