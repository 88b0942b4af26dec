package dev.diskimage.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.ConversionRefusedException.Reason;
import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.NotEnoughSpaceException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgException;
import dev.diskimage.crypto.CipherSpec;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact qemu-img command lines a conversion or resize runs, what happens for each way
 * qemu-img can fail, and every refusal with its reason, with a fake qemu-img that records its
 * arguments and then fails, sleeps, or runs the real one on a 4 MiB image. Fast on purpose (no
 * conversion of more than 4 MiB, no key derivation in Java beyond one 10 ms LUKS1 slot): it is
 * the test class the mutation run of the converter uses.
 */
class ConversionCommandTest {
    private static final ImageValidator VALIDATOR = ImageValidator.of(ImagePolicy.defaults());
    private static final CipherSpec XTS_512 = CipherSpec.decode("aes-xts-plain64", 512);
    private static final String PASS = "conversion command 5e1d";
    private static final String ENOSPC = "echo 'qemu-img: error while writing at byte 0: No space left on device' >&2;"
            + " exit 1";
    private static final String SLEEP = "exec sleep 30";

    @TempDir
    Path dir;

    private Path calls;
    private Conversion running;

    @AfterEach
    void nothingLeftBeside() throws Exception {
        if (running != null && running.cancel()) {
            try {
                running.await();
            } catch (RuntimeException ignored) {
                // only the cleanup matters here
            }
        }
        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).isEmpty();
        assertThat(TestImages.filesNamed(dir, "diskimage-secret-")).isEmpty();
    }

    /** A qemu-img that records every call, runs {@code body} for {@code command}, else the real one. */
    private QemuImg fake(String command, String body) throws IOException {
        calls = dir.resolve("calls");
        return QemuImg.at(TestImages.script(dir.resolve("bin"), "echo \"$*\" >> '" + calls + "'\n"
                + "if [ \"$1\" = " + command + " ]; then\n" + body + "\nfi\nexec '" + TestImages.REAL_QEMU_IMG
                + "' \"$@\""));
    }

    private ImageConverter converter(QemuImg qemu) {
        return ImageConverter.using(qemu, VALIDATOR);
    }

    private List<String> recorded(String command) throws IOException {
        List<String> found = new ArrayList<>();
        if (Files.exists(calls)) {
            for (String line : Files.readAllLines(calls)) {
                if (line.startsWith(command + " ")) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    private Path source() throws IOException {
        return TestImages.raw(dir, "s.raw", 4 * TestImages.MIB, 3);
    }

    /** {@code line} is {@code expected} and then the partial sibling of {@code target}. */
    private static void assertWritesPartial(String line, String expected, Path target) {
        assertThat(line).startsWith(expected + " ");
        String partial = line.substring(expected.length() + 1);
        assertThat(partial).matches(Pattern.quote(target.getParent() + "/." + target.getFileName()
                + PartialTarget.MARKER) + "\\d+-[0-9a-f]{16}");
    }

    private static void assertWritesPartial(List<String> command, List<String> expected, Path target) {
        assertWritesPartial(String.join(" ", command), String.join(" ", expected), target);
    }

    private static void qemuCreate(String... args) throws Exception {
        for (int attempt = 1; ; attempt++) {
            List<String> command = new ArrayList<>(List.of(TestImages.REAL_QEMU_IMG.toString(), "create"));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() == 0) {
                return;
            }
            // qemu's PBKDF benchmark flakes in runs on a busy machine: a fixture may take many tries.
            assertThat(attempt < 100 && output.contains(QemuImg.PBKDF_BENCHMARK_FLAKE)).as(output).isTrue();
            Thread.sleep(20);
        }
    }

    /**
     * An encrypted image made once per JVM by the real qemu-img (its PBKDF benchmark takes about
     * two seconds whatever the iteration time; PIT runs every test method on its own) and copied
     * into the test's directory.
     */
    private static synchronized Path template(String name, String... createArgs) throws Exception {
        if (templates == null) {
            // In the module's build directory: PIT ends its minions without running exit hooks.
            Path build = Path.of("target").toAbsolutePath();
            templates = Files.isDirectory(build) ? Files.createTempDirectory(build, "conversion-command-test-")
                    : Files.createTempDirectory("conversion-command-test-");
            templates.toFile().deleteOnExit();
        }
        Path image = templates.resolve(name);
        if (!Files.exists(image)) {
            List<String> args = new ArrayList<>(List.of(createArgs));
            args.add(args.size() - 1, image.toString());
            qemuCreate(args.toArray(String[]::new));
            image.toFile().deleteOnExit();
        }
        return image;
    }

    private static Path templates;

    /** A 4 MiB qcow2 with LUKS encryption (10 ms key slot), made by the real qemu-img. */
    private Path encryptedQcow2() throws Exception {
        return Files.copy(template("enc.qcow2", "-f", "qcow2", "--object", "secret,id=s,data=" + PASS, "-o",
                "encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10", "4M"), dir.resolve("enc.qcow2"));
    }

    /** A 4 MiB LUKS1 volume (10 ms key slot), made by the real qemu-img. */
    private Path luksVolume() throws Exception {
        return Files.copy(template("enc.luks", "-f", "luks", "--object", "secret,id=s,data=" + PASS, "-o",
                "key-secret=s,iter-time=10", "4M"), dir.resolve("enc.luks"));
    }

    private static Passphrase pass() {
        return Passphrase.of(PASS.getBytes(StandardCharsets.UTF_8));
    }

    private static LuksTarget luks() {
        return LuksTarget.of(XTS_512, PASS.getBytes(StandardCharsets.UTF_8)).withIterTime(Duration.ofMillis(10));
    }

    private static Reason reason(Throwable e) {
        return ((ConversionRefusedException) e).reason();
    }

    // --- plain command lines ---------------------------------------------------------------------

    @Test
    void everyPlainOptionInQemuImgsOrder() throws Exception {
        Path source = source();
        Path target = dir.resolve("t.qcow2");
        long start = System.nanoTime();
        ConversionResult result = converter(QemuImg.system()).convertNow(ConvertRequest.builder(source, target,
                DiskFormat.QCOW2).option("cluster_size", "65536").compress(true).sparse(false)
                .throttle(Throttle.rateLimit(1L << 30)).coroutines(4).cache(TargetCache.WRITEBACK)
                .sourceCache(CacheMode.NONE).timeout(Duration.ofMinutes(1)).build());

        assertWritesPartial(result.command(), List.of("convert", "-p", "-c", "-S", "0", "-r", "1073741824", "-m",
                "4", "-t", "writeback", "-T", "none", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=65536",
                source.toString()), target);
        assertThat(result.target()).isEqualTo(target);
        assertThat(result.sourceFormat()).isEqualTo(DiskFormat.RAW);
        assertThat(result.targetFormat()).isEqualTo(DiskFormat.QCOW2);
        assertThat(result.virtualSize()).isEqualTo(4 * TestImages.MIB);
        assertThat(result.targetCacheMode()).isEqualTo(CacheMode.WRITEBACK);
        assertThat(result.writtenInPlace()).isFalse();
        assertThat(result.duration()).isPositive().isLessThanOrEqualTo(Duration.ofNanos(System.nanoTime() - start));
        assertThat(target).exists();
    }

    @Test
    void anOutputTheValidatorRefusesIsDeletedAndTyped() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", "for a; do last=$a; done; echo 'not a qcow2 image' > \"$last\"; exit 0");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .build())).isInstanceOf(ConvertedImageRejectedException.class).hasMessageContaining(target.toString());
        assertThat(recorded("convert")).hasSize(1);
        assertThat(target).doesNotExist();
    }

    @Test
    void theCgroupMountNeedsThreeFieldsAndThisProcessesGroupLiesUnderIt() throws IOException {
        assertThat(CgroupIoThrottle.cgroup2Mount(List.of("cgroup2 /sys/fs/cgroup"))).isEmpty();
        assertThat(CgroupIoThrottle.cgroup2Mount(List.of("cgroup2 /sys/fs/my\\040cgroup cgroup2")))
                .contains(Path.of("/sys/fs/my cgroup"));
        Optional<Path> mount = CgroupIoThrottle.cgroup2Mount(Files.readAllLines(Path.of("/proc/self/mounts")));
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.isPresent(), "no cgroup v2 here");
        Path own = CgroupIoThrottle.parentGroup();
        assertThat(own).startsWith(mount.get());
        assertThat(own).isDirectory();
    }

    @Test
    void aBlockDeviceIsRecognisedWithItsNumbers() {
        Path loop = Path.of("/dev/loop0");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(loop), "no /dev/loop0 here");

        assertThat(BlockDevice.at(loop)).contains(new BlockDevice(loop, 7, 0));
        assertThat(BlockDevice.at(Path.of("/dev/null"))).isEmpty();
        assertThat(BlockDevice.at(dir.resolve("missing"))).isEmpty();
    }

    @Test
    void sparseRawHasNoOutOfOrderWritesAndNonSparseRawHas() throws Exception {
        Path source = source();
        ImageConverter converter = converter(QemuImg.system());
        Path sparse = dir.resolve("sparse.raw");
        Path full = dir.resolve("full.raw");

        List<String> sparseCommand = converter.convertNow(ConvertRequest.builder(source, sparse, DiskFormat.RAW)
                .cache(TargetCache.WRITEBACK).build()).command();
        List<String> fullCommand = converter.convertNow(ConvertRequest.builder(source, full, DiskFormat.RAW)
                .cache(TargetCache.WRITEBACK).sparse(false).build()).command();

        assertWritesPartial(sparseCommand, List.of("convert", "-p", "-t", "writeback", "-f", "raw", "-O", "raw",
                source.toString()), sparse);
        assertWritesPartial(fullCommand, List.of("convert", "-p", "-W", "-S", "0", "-t", "writeback", "-f", "raw",
                "-O", "raw", source.toString()), full);
        assertThat(Files.mismatch(full, source)).isEqualTo(-1);
    }

    @Test
    void existingTargetsAreWrittenInPlaceWithMinusNAndTargetIsZeroOnlyWhenFresh() throws Exception {
        Path source = source();
        ImageConverter converter = converter(QemuImg.system());
        Path fresh = dir.resolve("fresh.raw");
        Path used = dir.resolve("used.raw");
        Files.write(fresh, new byte[0]);
        Files.write(used, new byte[(int) (4 * TestImages.MIB)]);
        new java.io.RandomAccessFile(fresh.toFile(), "rw").setLength(4 * TestImages.MIB);

        ConversionResult zero = converter.convertNow(ConvertRequest.builder(source, fresh, DiskFormat.RAW)
                .existingTarget(true).cache(TargetCache.WRITEBACK).build());
        ConversionResult dirty = converter.convertNow(ConvertRequest.builder(source, used, DiskFormat.RAW)
                .existingTarget(false).cache(TargetCache.WRITEBACK).build());

        assertThat(zero.command()).containsExactly("convert", "-p", "-n", "--target-is-zero", "-t", "writeback",
                "-f", "raw", "-O", "raw", source.toString(), fresh.toString());
        assertThat(dirty.command()).containsExactly("convert", "-p", "-n", "-t", "writeback", "-f", "raw", "-O",
                "raw", source.toString(), used.toString());
        assertThat(zero.writtenInPlace()).isTrue();
        assertThat(dirty.writtenInPlace()).isTrue();
        assertThat(Files.mismatch(used, source)).isEqualTo(-1);
    }

    @Test
    void vpcTargetsGetForceSizeUnlessGivenOrExisting() throws Exception {
        Path source = source();
        QemuImg qemu = fake("convert", "exit 1");
        ImageConverter converter = converter(qemu);
        Path created = dir.resolve("a.vhd");
        Path given = dir.resolve("b.vhd");
        Path existing = Files.write(dir.resolve("c.vhd"), new byte[0]);

        for (ConvertRequest request : List.of(
                ConvertRequest.builder(source, created, DiskFormat.VPC).cache(TargetCache.WRITEBACK).build(),
                ConvertRequest.builder(source, given, DiskFormat.VPC).option("force_size", "off")
                        .cache(TargetCache.WRITEBACK).build(),
                ConvertRequest.builder(source, existing, DiskFormat.VPC).existingTarget(false)
                        .cache(TargetCache.WRITEBACK).build())) {
            assertThatThrownBy(() -> converter.convertNow(request)).isInstanceOf(ConversionFailedException.class);
        }

        List<String> converts = recorded("convert");
        assertThat(converts).hasSize(3);
        assertWritesPartial(converts.get(0), "convert -p -t writeback -f raw -O vpc -o force_size=on " + source,
                created);
        assertWritesPartial(converts.get(1), "convert -p -t writeback -f raw -O vpc -o force_size=off " + source,
                given);
        assertThat(converts.get(2)).isEqualTo("convert -p -n -t writeback -f raw -O vpc " + source + " " + existing);
    }

    @Test
    void backgroundLauncherIsSetprivNiceAndIoniceFoundOnThePath() {
        List<String> parent = new ArrayList<>();
        onPath("setpriv").ifPresent(p -> parent.addAll(List.of(p, "--pdeathsig", "KILL", "--")));
        List<String> background = new ArrayList<>(parent);
        onPath("nice").ifPresent(p -> background.addAll(List.of(p, "-n", "10")));
        onPath("ionice").ifPresent(p -> background.addAll(List.of(p, "-c", "2", "-n", "7")));

        assertThat(Launcher.forConversion(false)).isEqualTo(parent);
        assertThat(Launcher.forConversion(true)).isEqualTo(background);
        assertThat(onPath("setpriv")).as("setpriv is installed where these tests run").isPresent();
    }

    private static Optional<String> onPath(String program) {
        for (String entry : System.getenv("PATH").split(File.pathSeparator)) {
            Path candidate = Path.of(entry.isEmpty() ? "." : entry, program);
            if (!entry.isEmpty() && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    // --- the cache mode and its fallback -----------------------------------------------------------

    private static String refuseDirectIo(String message) {
        return "case \" $* \" in *\" -t none \"*) echo \"qemu-img: " + message + "\" >&2; exit 1;; esac";
    }

    @Test
    void autoCacheFallsBackToWritebackWhenODirectIsRefused() throws Exception {
        for (String message : List.of("Could not open 'x': Invalid argument", "O_DIRECT: Invalid argument")) {
            Path source = source();
            Path target = dir.resolve("t.qcow2");
            Files.deleteIfExists(target);
            QemuImg qemu = fake("convert", refuseDirectIo(message));
            Files.deleteIfExists(calls);

            ConversionResult result = converter(qemu).convertNow(ConvertRequest.builder(source, target,
                    DiskFormat.QCOW2).build());

            List<String> converts = recorded("convert");
            assertThat(converts).hasSize(2);
            assertWritesPartial(converts.get(0), "convert -p -t none -f raw -O qcow2 " + source, target);
            assertWritesPartial(converts.get(1), "convert -p -t writeback -f raw -O qcow2 " + source, target);
            assertThat(result.targetCacheMode()).isEqualTo(CacheMode.WRITEBACK);
            assertThat(result.command()).containsSequence("-t", "writeback");
        }
    }

    @Test
    void otherFailuresAndAnExplicitCacheNoneDoNotFallBack() throws Exception {
        Path source = source();
        Path target = dir.resolve("t.qcow2");
        for (String message : List.of("Invalid argument", "Could not open 'x': Permission denied",
                "O_DIRECT unsupported")) {
            QemuImg qemu = fake("convert", refuseDirectIo(message));
            Files.deleteIfExists(calls);
            assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, target,
                    DiskFormat.QCOW2).build()))
                    .isInstanceOf(ConversionFailedException.class).hasMessageEndingWith(message
                            + "; no partial target was left");
            assertThat(recorded("convert")).hasSize(1);
        }
        QemuImg qemu = fake("convert", refuseDirectIo("Could not open 'x': Invalid argument"));
        Files.deleteIfExists(calls);
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, target, DiskFormat.QCOW2)
                .cache(TargetCache.NONE).build())).isInstanceOf(ConversionFailedException.class);
        assertThat(recorded("convert")).hasSize(1);
        assertThat(target).doesNotExist();
    }

    // --- failures of qemu-img --------------------------------------------------------------------

    @Test
    void aFailureNamesTheTargetTheExitCodeAndTheLastLineOfStderr() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", "echo 'qemu-img: first' >&2; echo 'qemu-img: last words' >&2; exit 3");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .build()))
                .isInstanceOfSatisfying(ConversionFailedException.class, e -> {
                    assertThat(e).hasMessage("qemu-img could not convert to " + target
                            + " (exit code 3): qemu-img: last words; no partial target was left");
                    assertThat(e.qemuImgFailure().exitCode()).isEqualTo(3);
                });
        QemuImg silent = fake("convert", "exit 4");
        assertThatThrownBy(() -> converter(silent).convertNow(ConvertRequest.builder(source(), target,
                DiskFormat.QCOW2).build()))
                .hasMessage("qemu-img could not convert to " + target + " (exit code 4); no partial target was left");
        assertThat(target).doesNotExist();
    }

    @Test
    void aFlakyPbkdfBenchmarkIsRetriedUpToItsLimitForAnEncryptedTargetOnly() throws Exception {
        String flake = "echo 'qemu-img: " + QemuImg.PBKDF_BENCHMARK_FLAKE + "' >&2; exit 1";
        QemuImg qemu = fake("convert", flake);
        Path encrypted = dir.resolve("e.luks");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), encrypted,
                DiskFormat.LUKS).encryption(luks()).build())).isInstanceOf(ConversionFailedException.class);
        assertThat(recorded("convert")).hasSize(QemuImg.PBKDF_BENCHMARK_ATTEMPTS);

        Files.delete(calls);
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), dir.resolve("p.qcow2"),
                DiskFormat.QCOW2).build())).isInstanceOf(ConversionFailedException.class);
        assertThat(recorded("convert")).hasSize(1);
    }

    @Test
    void aFlakeOnceThenSuccessConverts() throws Exception {
        Path counter = dir.resolve("counter");
        // The second call writes a LUKS volume qemu-img made (a real conversion's PBKDF benchmark
        // would take seconds, and may flake itself).
        QemuImg qemu = fake("convert", "if [ ! -e '" + counter + "' ]; then : > '" + counter + "'; echo 'qemu-img: "
                + QemuImg.PBKDF_BENCHMARK_FLAKE + "' >&2; exit 1; fi; for a; do last=$a; done; cp '" + luksVolume()
                + "' \"$last\"; exit 0");
        Path target = dir.resolve("e.luks");

        ConversionResult result = converter(qemu).convertNow(ConvertRequest.builder(source(), target,
                DiskFormat.LUKS).encryption(luks()).build());

        assertThat(recorded("convert")).hasSize(2);
        assertThat(result.targetFormat()).isEqualTo(DiskFormat.LUKS);
        assertThat(target).exists();
    }

    @Test
    void runningOutOfSpaceIsNotEnoughSpaceWithWhatTheTargetNeeded() throws Exception {
        Path source = source();
        long size = 4 * TestImages.MIB;
        QemuImg qemu = fake("convert", ENOSPC);
        long qcow2 = QemuImg.system().measure(source, DiskFormat.RAW, DiskFormat.QCOW2).required();
        long qcow2Full = QemuImg.system().measure(size, DiskFormat.QCOW2).fullyAllocated();

        assertThat(neededFor(qemu, ConvertRequest.builder(source, dir.resolve("t.raw"), DiskFormat.RAW)))
                .isEqualTo(size);
        assertThat(neededFor(qemu, ConvertRequest.builder(source, dir.resolve("t.qcow2"), DiskFormat.QCOW2)))
                .isEqualTo(qcow2);
        // qemu-img cannot measure vmdk: it is estimated as qcow2.
        assertThat(neededFor(qemu, ConvertRequest.builder(source, dir.resolve("t.vmdk"), DiskFormat.VMDK)))
                .isEqualTo(qcow2);
        assertThat(neededFor(qemu, ConvertRequest.builder(source, dir.resolve("e.luks"), DiskFormat.LUKS)
                .encryption(luks()))).isEqualTo(size + Encryption.LUKS_HEADER_ALLOWANCE);
        assertThat(neededFor(qemu, ConvertRequest.builder(source, dir.resolve("e.qcow2"), DiskFormat.QCOW2)
                .encryption(luks()))).isEqualTo(qcow2Full + Encryption.LUKS_HEADER_ALLOWANCE);
        assertThat(neededFor(qemu, ConvertRequest.builder(encryptedQcow2(), dir.resolve("d.raw"), DiskFormat.RAW)
                .sourcePassphrase(pass()).decrypt(true))).isEqualTo(size);
        assertThat(recorded("measure")).containsExactly(
                "measure --output=json -O qcow2 -f raw " + source,
                "measure --output=json -O qcow2 -f raw " + source,
                "measure --output=json -O qcow2 --size " + size);
    }

    private long neededFor(QemuImg qemu, ConvertRequest.Builder request) {
        Path target = request.build().target();
        Throwable thrown = null;
        try {
            converter(qemu).convertNow(request.build());
        } catch (RuntimeException e) {
            thrown = e;
        }
        assertThat(thrown).isInstanceOf(NotEnoughSpaceException.class);
        assertThat(target).doesNotExist();
        return ((NotEnoughSpaceException) thrown).needed();
    }

    @Test
    void aTimeoutStopsQemuImgAndIsTyped() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", SLEEP);
        long start = System.nanoTime();

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .timeout(Duration.ofMillis(300)).build()))
                .isInstanceOfSatisfying(ConversionTimedOutException.class, e -> {
                    assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300));
                    assertThat(e).hasMessage("conversion to " + target
                            + " did not finish within 300 ms and was stopped; no partial target was left");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(recorded("convert")).hasSize(1);
        assertThat(target).doesNotExist();
    }

    // --- the conversion handle: progress, cancel, await ----------------------------------------

    private void awaitConvertCall() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (recorded("convert").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(recorded("convert")).hasSize(1);
    }

    @Test
    void aRunningConversionReportsProgressAndStopsWhenCancelled() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", "printf '    (25.00/100%%)\\n    (50.00/100%%)\\n'; " + SLEEP);
        List<Double> heard = new CopyOnWriteArrayList<>();
        running = converter(qemu).convert(ConvertRequest.builder(source(), target, DiskFormat.QCOW2)
                .progress(heard::add).build());
        Conversion conversion = running;

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (conversion.progress() < 50.0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(conversion.progress()).isEqualTo(50.0);
        assertThat(heard).containsExactly(25.0, 50.0);
        assertThat(conversion.isDone()).isFalse();
        assertThat(conversion.result()).isEmpty();
        assertThat(conversion.await(Duration.ofMillis(50))).isEmpty();
        assertThat(conversion.target()).isEqualTo(target);

        assertThat(conversion.cancel()).isTrue();
        assertThatThrownBy(conversion::await).isInstanceOf(ConversionCancelledException.class)
                .hasMessageContaining(target.toString());
        assertThatThrownBy(() -> conversion.await(Duration.ofSeconds(5)))
                .isInstanceOf(ConversionCancelledException.class);
        assertThat(conversion.isDone()).isTrue();
        assertThat(conversion.cancel()).isFalse();
        assertThat(conversion.result()).isEmpty();
        assertThat(conversion.progress()).isEqualTo(50.0);
        assertThat(recorded("convert")).hasSize(1);
        assertThat(target).doesNotExist();
    }

    @Test
    void aQemuImgThatIgnoresSigtermIsKilledAfterTheGrace() throws Exception {
        Path target = dir.resolve("t.qcow2");
        // An ignored signal stays ignored across exec: only SIGKILL ends this sleep.
        QemuImg qemu = fake("convert", "trap '' TERM; " + SLEEP);
        running = converter(qemu).convert(ConvertRequest.builder(source(), target, DiskFormat.QCOW2).build());
        awaitConvertCall();
        long start = System.nanoTime();

        assertThat(running.cancel()).isTrue();
        assertThatThrownBy(running::await).isInstanceOf(ConversionCancelledException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
                Duration.ofSeconds(20));
    }

    @Test
    void atShutdownRunningQemuImgsAreKilledAndTheirPartialTargetsAndSecretsRemoved() throws Exception {
        Path target = dir.resolve("e.luks");
        QemuImg qemu = fake("convert", "for a; do last=$a; done; : > \"$last\"; " + SLEEP);
        running = converter(qemu).convert(ConvertRequest.builder(source(), target, DiskFormat.LUKS)
                .encryption(luks()).build());
        awaitConvertCall();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (TestImages.filesNamed(dir, PartialTarget.MARKER).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).hasSize(1);
        assertThat(TestImages.filesNamed(dir, "diskimage-secret-")).hasSize(1);

        LiveConversions.stopAll();

        assertThat(TestImages.filesNamed(dir, PartialTarget.MARKER)).isEmpty();
        assertThat(TestImages.filesNamed(dir, "diskimage-secret-")).isEmpty();
        assertThatThrownBy(running::await).isInstanceOf(ConversionFailedException.class);
        assertThat(target).doesNotExist();
        assertThat(LiveConversions.size()).as("ended conversions are forgotten").isZero();
    }

    @Test
    void stopAllKillsEachRegisteredProcessAndRemovesItsPartialAndSecrets() throws Exception {
        Path source = source();
        Encryption encryption = Encryption.forConversion(ConvertRequest.builder(source, dir.resolve("e.luks"),
                DiskFormat.LUKS).encryption(luks()).build(), VALIDATOR.check(source, DiskFormat.RAW));
        Encryption.Secrets secrets = encryption.writeSecrets(dir);
        PartialTarget partial = PartialTarget.beside(dir.resolve("e.luks"));
        Files.write(partial.path(), new byte[] {1});
        Process qemuImg = new ProcessBuilder("sleep", "30").start();
        LiveConversions.Entry withEverything = LiveConversions.register(Optional.of(partial));
        withEverything.process.set(qemuImg.toHandle());
        withEverything.secrets.set(secrets);
        // Registered, qemu-img not started yet: nothing to stop, nothing to delete.
        LiveConversions.Entry bare = LiveConversions.register(Optional.empty());
        assertThat(TestImages.filesNamed(dir, "diskimage-secret-")).hasSize(1);
        assertThat(LiveConversions.size()).isEqualTo(2);

        try {
            LiveConversions.stopAll();
        } finally {
            LiveConversions.unregister(withEverything);
            LiveConversions.unregister(bare);
        }

        assertThat(qemuImg.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(partial.path()).doesNotExist();
        assertThat(TestImages.filesNamed(dir, "diskimage-secret-")).isEmpty();
    }

    @Test
    void cancelledBeforeQemuImgRunsStopsItAtOnce() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", SLEEP);
        running = converter(qemu).convert(ConvertRequest.builder(source(), target, DiskFormat.QCOW2).build());
        assertThat(running.cancel()).isTrue();
        long start = System.nanoTime();

        assertThatThrownBy(running::await).isInstanceOf(ConversionCancelledException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(target).doesNotExist();
    }

    @Test
    void aFinishedConversionIsAtOneHundredPercentAndCannotBeCancelled() throws Exception {
        Path target = dir.resolve("t.qcow2");
        Conversion conversion = converter(QemuImg.system()).convert(ConvertRequest.builder(source(), target,
                DiskFormat.QCOW2).build());

        ConversionResult result = conversion.await();

        assertThat(conversion.await(Duration.ofSeconds(1))).contains(result);
        assertThat(conversion.result()).contains(result);
        assertThat(conversion.isDone()).isTrue();
        assertThat(conversion.progress()).isEqualTo(100.0);
        assertThat(conversion.cancel()).isFalse();
        assertThat(target).exists();
    }

    @Test
    void anInterruptedConvertNowCancelsAndKeepsTheInterrupt() throws Exception {
        Path target = dir.resolve("t.qcow2");
        QemuImg qemu = fake("convert", SLEEP);
        ConvertRequest request = ConvertRequest.builder(source(), target, DiskFormat.QCOW2).build();
        long start = System.nanoTime();

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> converter(qemu).convertNow(request))
                    .isInstanceOf(ConversionCancelledException.class).hasMessageContaining(target.toString());
        } finally {
            assertThat(Thread.interrupted()).as("interrupt kept").isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(target).doesNotExist();
    }

    // --- refusals ------------------------------------------------------------------------------

    @Test
    void everyFormatRefusalHasItsReasonAndMessageAndRunsNoQemuImg() throws Exception {
        Path source = source();
        QemuImg qemu = fake("convert", "exit 1");
        ImageConverter disabled = converter(qemu).withImageConversionDisabled(true);
        Path qcow2 = TestImages.converted(source, dir.resolve("s.qcow2"), DiskFormat.QCOW2);

        assertThat(converter(qemu).imageConversionDisabled()).isFalse();
        assertThatThrownBy(() -> disabled.convertNow(ConvertRequest.builder(source, dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.CONVERSION_DISABLED))
                .hasMessage("image conversion is disabled: " + source + " is raw and cannot become qcow2");
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, dir.resolve("t.raw"),
                DiskFormat.RAW).compress(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.COMPRESSION_UNSUPPORTED))
                .hasMessage("raw targets cannot be compressed (only qcow2 and vmdk with subformat=streamOptimized"
                        + " can)");
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, dir.resolve("t.vmdk"),
                DiskFormat.VMDK).option("subformat", "monolithicSparse").compress(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.COMPRESSION_UNSUPPORTED));
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(qcow2, dir.resolve("t.raw"),
                DiskFormat.RAW).keepBitmaps(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.BITMAPS_UNSUPPORTED))
                .hasMessage("bitmaps can only be kept from a qcow2 source to a qcow2 target");
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, dir.resolve("t2.qcow2"),
                DiskFormat.QCOW2).keepBitmaps(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.BITMAPS_UNSUPPORTED));
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).throttle(Throttle.cgroupIoMax(1, 1)).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.THROTTLE_UNAVAILABLE))
                .hasMessageContaining(dir.resolve("t.qcow2").toString());
        assertThat(recorded("convert")).isEmpty();
        assertThat(ConversionJob.canCompress(DiskFormat.QCOW2, java.util.Map.of())).isTrue();
        assertThat(ConversionJob.canCompress(DiskFormat.VMDK, java.util.Map.of())).isFalse();
        assertThat(ConversionJob.canCompress(DiskFormat.VMDK, java.util.Map.of("subformat", "streamOptimized")))
                .isTrue();
        assertThat(ConversionJob.canCompress(DiskFormat.VPC, java.util.Map.of("subformat", "streamOptimized")))
                .isFalse();
    }

    @Test
    void withConversionDisabledTheSameFormatIsStillCopiedWithBitmaps() throws Exception {
        Path qcow2 = TestImages.converted(source(), dir.resolve("s.qcow2"), DiskFormat.QCOW2);
        Path target = dir.resolve("t.qcow2");

        ConversionResult result = converter(QemuImg.system()).withImageConversionDisabled(true)
                .convertNow(ConvertRequest.builder(qcow2, target, DiskFormat.QCOW2).keepBitmaps(true)
                        .cache(TargetCache.WRITEBACK).build());

        assertWritesPartial(result.command(), List.of("convert", "-p", "--bitmaps", "-t", "writeback", "-f", "qcow2",
                "-O", "qcow2", qcow2.toString()), target);
    }

    @Test
    void aDeclaredSourceFormatIsCheckedAgainstTheBytes() throws Exception {
        Path source = source();
        QemuImg qemu = fake("convert", "exit 1");
        ValidatedImage validated = VALIDATOR.check(source, DiskFormat.RAW);

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).sourceFormat(DiskFormat.QCOW2).build()))
                .isInstanceOf(ImageUnacceptableException.class);
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(validated, dir.resolve("t.qcow2"),
                DiskFormat.QCOW2).sourceFormat(DiskFormat.VMDK).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.FORMAT_MISMATCH))
                .hasMessage(source + " was validated as raw, not the declared vmdk");
        assertThat(recorded("convert")).isEmpty();
        assertThat(converter(QemuImg.system()).convertNow(ConvertRequest.builder(source, dir.resolve("u.qcow2"),
                DiskFormat.QCOW2).sourceFormat(DiskFormat.RAW).build()).sourceFormat()).isEqualTo(DiskFormat.RAW);
        assertThat(converter(QemuImg.system()).convertNow(ConvertRequest.builder(validated, dir.resolve("v.qcow2"),
                DiskFormat.QCOW2).sourceFormat(DiskFormat.RAW).build()).sourceFormat()).isEqualTo(DiskFormat.RAW);
    }

    // --- encryption ----------------------------------------------------------------------------

    @Test
    void encryptedTargetsGetTheirSecretObjectAndLuksOptions() throws Exception {
        Path source = source();
        QemuImg qemu = fake("convert", "exit 1");
        Path luksTarget = dir.resolve("e.luks");
        Path qcow2Target = dir.resolve("e.qcow2");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, luksTarget,
                DiskFormat.LUKS).encryption(luks()).cache(TargetCache.WRITEBACK).build()))
                .isInstanceOf(ConversionFailedException.class);
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source, qcow2Target,
                DiskFormat.QCOW2).encryption(LuksTarget.of(XTS_512, pass())).cache(TargetCache.WRITEBACK).build()))
                .isInstanceOf(ConversionFailedException.class);

        List<String> converts = recorded("convert");
        assertThat(converts).hasSize(2);
        String secret = "--object secret,id=sec1,file=" + dir + "/diskimage-secret-[0-9]+-[0-9]+/secret";
        assertThat(converts.get(0)).matches("convert " + secret + " -p -t writeback -f raw -O luks -o key-secret=sec1,"
                + "cipher-alg=aes-256,cipher-mode=xts,ivgen-alg=plain64,iter-time=10 " + Pattern.quote(source.toString())
                + " \\S+");
        assertThat(converts.get(1)).matches("convert " + secret + " -p -t writeback -f raw -O qcow2 -o "
                + "encrypt.format=luks,encrypt.key-secret=sec1,encrypt.cipher-alg=aes-256,encrypt.cipher-mode=xts,"
                + "encrypt.ivgen-alg=plain64 " + Pattern.quote(source.toString()) + " \\S+");
    }

    @Test
    void anEncryptedQcow2SourceIsOpenedWithImageOptsAndItsKey() throws Exception {
        Path image = encryptedQcow2();
        QemuImg qemu = fake("convert", "echo 'qemu-img: " + Encryption.QEMU_WRONG_PASSPHRASE + "' >&2; exit 1");
        Path target = dir.resolve("d.raw");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(image, target, DiskFormat.RAW)
                .sourcePassphrase(pass()).decrypt(true).cache(TargetCache.WRITEBACK).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.WRONG_PASSPHRASE))
                .hasMessage("the passphrase does not unlock " + image);

        assertThat(recorded("convert")).singleElement().asString().matches("convert --object secret,id=sec0,file="
                + dir + "/diskimage-secret-[0-9]+-[0-9]+/secret -p -t writeback --image-opts -O raw "
                + Pattern.quote("driver=qcow2,encrypt.key-secret=sec0,file.driver=file,file.filename=" + image)
                + " \\S+");
        // The same words from qemu-img about a plain source are a failure, not a wrong passphrase.
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), dir.resolve("p.raw"),
                DiskFormat.RAW).build())).isInstanceOf(ConversionFailedException.class);
    }

    @Test
    void anEncryptedSourceNeedsItsPassphraseAndAnExplicitDecryption() throws Exception {
        Path image = encryptedQcow2();
        QemuImg qemu = fake("convert", "exit 1");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(image, dir.resolve("d.raw"),
                DiskFormat.RAW).decrypt(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.PASSPHRASE_MISSING))
                .hasMessage(image + " is encrypted (qcow2); its passphrase is needed");
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(image, dir.resolve("d.raw"),
                DiskFormat.RAW).sourcePassphrase(pass()).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.DECRYPTION_NOT_ALLOWED))
                .hasMessageStartingWith(image + " is encrypted and " + dir.resolve("d.raw") + " would not be");
        assertThat(recorded("convert")).isEmpty();
        // Re-encrypted, it needs no decryption.
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(image, dir.resolve("e.luks"),
                DiskFormat.LUKS).sourcePassphrase(pass()).encryption(luks()).build()))
                .isInstanceOf(ConversionFailedException.class);
        assertThat(recorded("convert")).singleElement().asString().contains("--object secret,id=sec0,")
                .contains("--object secret,id=sec1,").contains(" --image-opts -O luks -o key-secret=sec1,");
    }

    @Test
    void aPlainSourcesPassphraseIsNotUsed() throws Exception {
        QemuImg qemu = fake("convert", "exit 1");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), dir.resolve("t.raw"),
                DiskFormat.RAW).sourcePassphrase(pass()).cache(TargetCache.WRITEBACK).build()))
                .isInstanceOf(ConversionFailedException.class);

        assertWritesPartial(recorded("convert").get(0), "convert -p -t writeback -f raw -O raw " + dir.resolve("s.raw"),
                dir.resolve("t.raw"));
    }

    @Test
    void aLuksSourcesPassphraseIsProvedInJavaBeforeQemuImgRuns() throws Exception {
        Path volume = luksVolume();
        QemuImg qemu = fake("convert", "exit 1");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(volume, dir.resolve("d.raw"),
                DiskFormat.RAW).sourcePassphrase(Passphrase.of("wrong".getBytes(StandardCharsets.UTF_8)))
                .decrypt(true).build()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.WRONG_PASSPHRASE))
                .hasMessage("the passphrase does not unlock " + volume);
        assertThat(recorded("convert")).isEmpty();
        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(volume, dir.resolve("d.raw"),
                DiskFormat.RAW).sourcePassphrase(pass()).decrypt(true).build()))
                .isInstanceOf(ConversionFailedException.class);
        assertThat(recorded("convert")).singleElement().asString().contains(" --image-opts -O raw driver=luks,"
                + "key-secret=sec0,file.driver=file,file.filename=" + volume + " ");
    }

    @Test
    void anUnreadableTargetPassphraseFileIsNamedBeforeQemuImgRuns() throws Exception {
        Path missing = dir.resolve("no-such.key");
        QemuImg qemu = fake("convert", "exit 1");

        assertThatThrownBy(() -> converter(qemu).convertNow(ConvertRequest.builder(source(), dir.resolve("e.qcow2"),
                DiskFormat.QCOW2).encryption(LuksTarget.of(XTS_512, missing)).build()))
                .isInstanceOf(ImageIoException.class).hasMessageContaining(missing.toString());
        // Not even measured.
        assertThat(calls).doesNotExist();
    }

    // --- resize --------------------------------------------------------------------------------

    @Test
    void resizeNamesTheFormatAndShrinksOnlyWhenAllowed() throws Exception {
        Path image = TestImages.converted(source(), dir.resolve("r.qcow2"), DiskFormat.QCOW2);
        QemuImg qemu = fake("resize", ":");
        ImageConverter converter = converter(qemu);
        long size = 4 * TestImages.MIB;

        ValidatedImage same = converter.resize(image, DiskFormat.QCOW2, size, false);
        assertThat(same.virtualSize()).isEqualTo(size);
        converter.resize(image, DiskFormat.QCOW2, 2 * size, false);
        assertThatThrownBy(() -> converter.resize(image, DiskFormat.QCOW2, 2 * size - 1, false))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.SHRINK_NOT_ALLOWED))
                .hasMessage(image + " has a virtual size of " + 2 * size + " bytes; resizing it to " + (2 * size - 1)
                        + " bytes would shrink it, which was not allowed");
        converter.resize(image, DiskFormat.QCOW2, size, true);
        converter(fake("resize", "exit 0")).resize(VALIDATOR.check(image, DiskFormat.QCOW2), 0, true);
        assertThatThrownBy(() -> converter.resize(VALIDATOR.check(image, DiskFormat.QCOW2), -1, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("new size must not be negative: -1");

        assertThat(recorded("resize")).containsExactly(
                "resize -f qcow2 " + image + " " + size,
                "resize -f qcow2 " + image + " " + 2 * size,
                "resize -f qcow2 --shrink " + image + " " + size,
                "resize -f qcow2 --shrink " + image + " 0");
        assertThat(VALIDATOR.check(image, DiskFormat.QCOW2).virtualSize()).isEqualTo(size);
        assertThat(ImageConverter.checkVirtualSize(QemuImg.system().info(image, DiskFormat.QCOW2), 1, "img"))
                .isEqualTo(1);
    }

    @Test
    void encryptedResizeUsesTheKeyAndTellsAWrongPassphraseFromOtherFailures() throws Exception {
        Path image = encryptedQcow2();
        long size = 4 * TestImages.MIB;

        ValidatedImage resized = converter(fake("resize", ":")).resize(image, DiskFormat.QCOW2, 2 * size, false,
                pass());
        assertThat(resized.path()).isEqualTo(image);
        assertThat(resized.virtualSize()).isEqualTo(size);
        assertThat(recorded("resize")).singleElement().asString().matches("resize --object secret,id=sec0,file="
                + dir + "/diskimage-secret-[0-9]+-[0-9]+/secret --image-opts "
                + Pattern.quote("driver=qcow2,encrypt.key-secret=sec0,file.driver=file,file.filename=" + image + " "
                + 2 * size));
        assertThat(VALIDATOR.check(image, DiskFormat.QCOW2).virtualSize()).isEqualTo(2 * size);

        QemuImg wrong = fake("resize", "echo 'qemu-img: " + Encryption.QEMU_WRONG_PASSPHRASE + "' >&2; exit 1");
        assertThatThrownBy(() -> converter(wrong).resize(image, DiskFormat.QCOW2, 3 * size, false, pass()))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.WRONG_PASSPHRASE))
                .hasMessage("the passphrase does not unlock " + image);
        QemuImg failing = fake("resize", "echo 'qemu-img: other' >&2; exit 1");
        assertThatThrownBy(() -> converter(failing).resize(image, DiskFormat.QCOW2, 3 * size, true, pass()))
                .isInstanceOf(QemuImgException.class).isNotInstanceOf(ConversionRefusedException.class);
        assertThatThrownBy(() -> converter(failing).resize(image, DiskFormat.QCOW2, 3 * size, true))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.PASSPHRASE_MISSING));
        // A plain image ignores the passphrase.
        Path plain = TestImages.converted(source(), dir.resolve("p.qcow2"), DiskFormat.QCOW2);
        Files.delete(calls);
        converter(fake("resize", ":")).resize(plain, DiskFormat.QCOW2, 2 * size, false, pass());
        assertThat(recorded("resize")).containsExactly("resize -f qcow2 " + plain + " " + 2 * size);
    }

    // --- the partial sibling ------------------------------------------------------------------

    @Test
    void partialNamesKeepUpTo180CharactersOfTheTargetsName() {
        String keep = "k".repeat(180);
        PartialTarget whole = PartialTarget.beside(dir.resolve(keep));
        PartialTarget cut = PartialTarget.beside(dir.resolve(keep + "x"));

        assertThat(whole.target()).isEqualTo(dir.resolve(keep).toAbsolutePath());
        assertThat(whole.path().getFileName().toString()).startsWith("." + keep + PartialTarget.MARKER);
        assertThat(cut.path().getFileName().toString()).startsWith("." + keep + PartialTarget.MARKER);
        assertThat(cut.target()).isEqualTo(dir.resolve(keep + "x").toAbsolutePath());
        assertThat(PartialTarget.randomBytes(8)).hasSize(8).isNotEqualTo(PartialTarget.randomBytes(8));
    }

    @Test
    void staleSiblingsOfDeadProcessesAreRemovedAndReturnedButNotDirectoriesOrLiveOnes() throws IOException {
        String stale = ".t.raw" + PartialTarget.MARKER + "999999999-0123456789abcdef";
        Path file = Files.write(dir.resolve(stale), new byte[] {1});
        Path directory = Files.createDirectory(dir.resolve(".d.raw" + PartialTarget.MARKER
                + "999999999-0123456789abcdef"));
        Path live = Files.write(PartialTarget.beside(dir.resolve("l.raw")).path(), new byte[] {1});

        assertThat(PartialTarget.removeStale(dir)).containsExactly(file);
        assertThat(file).doesNotExist();
        assertThat(directory).isDirectory();
        assertThat(live).exists();
        assertThat(PartialTarget.owner(stale)).contains(999999999L);
        Files.delete(directory);
        Files.delete(live);
    }

    @Test
    void aPartialThatCannotBeMovedIntoPlaceIsDiscardedAndNamed() throws IOException {
        Path target = dir.resolve("occupied");
        PartialTarget partial = PartialTarget.beside(target);
        Files.write(partial.path(), new byte[] {1});
        // A directory appears at the target while the partial is written: the rename fails.
        Files.createDirectory(target);
        Files.write(target.resolve("inside"), new byte[] {1});

        assertThatThrownBy(partial::commit).isInstanceOf(ImageIoException.class)
                .hasMessageContaining("cannot move the converted image into place at").hasMessageContaining(
                        target.toString());
        assertThat(partial.path()).doesNotExist();
    }

    @Test
    void aLuksVolumesPassphraseIsProvedBeforeAResize() throws Exception {
        Path volume = luksVolume();
        QemuImg qemu = fake("resize", "exit 0");

        assertThatThrownBy(() -> converter(qemu).resize(volume, DiskFormat.LUKS, 8 * TestImages.MIB, false,
                Passphrase.of("wrong".getBytes(StandardCharsets.UTF_8))))
                .satisfies(e -> assertThat(reason(e)).isEqualTo(Reason.WRONG_PASSPHRASE));
        assertThat(calls).doesNotExist();
        converter(qemu).resize(volume, DiskFormat.LUKS, 8 * TestImages.MIB, false, pass());
        assertThat(recorded("resize")).singleElement().asString().contains("--image-opts driver=luks,key-secret=sec0,");
    }

    // --- request values ------------------------------------------------------------------------

    @Test
    void requestValuesAtTheirEdges() {
        Path p = dir.resolve("x");
        ConvertRequest defaults = ConvertRequest.builder(p, p, DiskFormat.RAW).build();
        assertThat(defaults.cache()).isEqualTo(TargetCache.AUTO);
        assertThat(defaults.throttle()).isSameAs(Throttle.None.INSTANCE).isSameAs(Throttle.none());
        assertThat(defaults.sparse()).isTrue();
        assertThat(defaults.existingTarget()).isFalse();
        assertThat(defaults.targetIsZero()).isFalse();
        assertThat(defaults.background()).isFalse();
        assertThat(defaults.decrypt()).isFalse();
        assertThat(defaults.keepBitmaps()).isFalse();
        assertThat(defaults.compress()).isFalse();
        assertThat(defaults.timeout()).isEmpty();
        assertThat(defaults.coroutines()).isEmpty();
        assertThat(defaults.source()).isEqualTo(p);
        assertThat(defaults.toString()).isEqualTo("ConvertRequest[source=" + p + ", target=" + p
                + ", targetFormat=raw]");
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).decrypt(true).build().toString()).endsWith(", decrypt]");
        assertThat(ConvertRequest.builder(p, p, DiskFormat.QCOW2).encryption(luks()).sourcePassphrase(pass()).build()
                .toString()).isEqualTo("ConvertRequest[source=" + p + ", target=" + p + ", targetFormat=qcow2"
                        + ", encryption=" + luks() + ", sourcePassphrase=" + pass() + "]");
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).sourcePassphrase(dir.resolve("key")).build()
                .sourcePassphrase()).isPresent();

        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).coroutines(1).build().coroutines()).hasValue(1);
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).coroutines(16).build().coroutines()).hasValue(16);
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).coroutines(17))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).timeout(Duration.ofNanos(1)).build().timeout())
                .contains(Duration.ofNanos(1));
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).timeout(Duration.ofNanos(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).option("a", "1").option("b.c-d_9", "2").build()
                .options()).containsExactly(java.util.Map.entry("a", "1"), java.util.Map.entry("b.c-d_9", "2"));
        for (String bad : new String[] {"1a", "", "a b", "a=b", "a,b"}) {
            assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).option(bad, "v"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("bad target option name: " + bad);
        }
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).option(null, "v"))
                .isInstanceOf(IllegalArgumentException.class);
        for (String key : new String[] {"encrypt", "encrypt.format", "key-secret", "cipher-alg", "ivgen-alg",
            "hash-alg", "iter-time"}) {
            assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.QCOW2).option(key, "v").build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("target option " + key + " is set by encryption(LuksTarget), not as an option");
        }
        for (String key : new String[] {"key-secrets", "hash", "iter", "cipher", "ivgen"}) {
            assertThat(ConvertRequest.builder(p, p, DiskFormat.QCOW2).option(key, "v").build().options())
                    .containsKey(key);
        }
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.LUKS).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("a luks target needs");
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.RAW).encryption(luks()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("only qcow2 and luks targets can be encrypted,"
                        + " not raw");
        assertThatThrownBy(() -> ConvertRequest.builder(p, p, DiskFormat.QCOW2).encryption(luks())
                .existingTarget(true).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("encryption applies when the target is created");
        assertThat(ConvertRequest.builder(p, p, DiskFormat.LUKS).encryption(luks()).build().encryption()).isPresent();
        assertThat(ConvertRequest.builder(p, p, DiskFormat.QCOW2).encryption(luks()).build().encryption()).isPresent();
        assertThat(ConvertRequest.builder(p, p, DiskFormat.RAW).existingTarget(true).build().existingTarget())
                .isTrue();

        assertThat(LuksTarget.of(XTS_512, pass()).withIterTime(Duration.ofMillis(1)).iterTime())
                .contains(Duration.ofMillis(1));
        assertThatThrownBy(() -> LuksTarget.of(XTS_512, pass()).withIterTime(Duration.ofNanos(999_999)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(luks().toString()).isEqualTo("LuksTarget[cipher=aes-xts-plain64/512, passphrase="
                + luks().passphrase() + ", iterTime=10ms]");
        assertThat(Throttle.rateLimit(1)).isEqualTo(new Throttle.RateLimit(1));
        assertThat(Throttle.cgroupIoMax(0, 1)).isEqualTo(new Throttle.CgroupIoMax(0, 1));
        assertThat(Throttle.cgroupIoMax(1, 0)).isEqualTo(new Throttle.CgroupIoMax(1, 0));
        assertThatThrownBy(() -> Throttle.cgroupIoMax(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Throttle.rateLimit(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
