package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QemuImg against the real installed qemu-img, and against small fake qemu-img scripts. */
class QemuImgTest {
    private static final long MIB = 1 << 20;
    private final QemuImg qemu = QemuImg.system();

    @TempDir
    Path dir;

    private Path create(String name, DiskFormat format, String... options) {
        Path image = dir.resolve(name);
        QemuImgCreateRequest.Builder request = QemuImgCreateRequest.builder(image, format).size(MIB);
        for (int i = 0; i < options.length; i += 2) {
            request.option(options[i], options[i + 1]);
        }
        qemu.create(request.build());
        return image;
    }

    /** The human-readable info, run the way QemuImg runs qemu-img (C locale, UTC). */
    private String humanInfo(Path image, DiskFormat format) {
        ProcessResult result = ProcessRunner.create().run(ProcessRequest.builder(
                List.of(qemu.binary().toString(), "info", "-f", format.qemuName(), "-U", image.toString()))
                .environment("TZ", "UTC").build());
        assertThat(result.exitCode()).as(result.stderrTail()).isZero();
        return result.stdout();
    }

    /** JSON and text must give the same record, except the host size qemu prints rounded. */
    private QemuImgInfo infoAgreeingWithHumanText(Path image, DiskFormat format) {
        QemuImgInfo json = qemu.info(image, format);
        QemuImgInfo human = QemuImgInfo.fromHumanText(humanInfo(image, format));
        assertThat(withoutActualSize(human)).isEqualTo(withoutActualSize(json));
        assertThat((double) human.actualSize().orElseThrow())
                .isCloseTo(json.actualSize().orElseThrow(), org.assertj.core.data.Percentage.withPercentage(1));
        return json;
    }

    private static QemuImgInfo withoutActualSize(QemuImgInfo i) {
        List<QemuImgInfo.Snapshot> snapshots = i.snapshots().stream()
                .map(s -> new QemuImgInfo.Snapshot(s.id(), s.name(), s.vmStateSize(),
                        s.date().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        s.vmClock().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), s.icount(), s.unknown()))
                .toList();
        return new QemuImgInfo(i.filename(), i.formatName(), i.virtualSize(), java.util.OptionalLong.empty(),
                i.clusterSize(), i.dirty(), i.encrypted(), i.backingFilename(), i.fullBackingFilename(),
                i.backingFormat(), snapshots, i.formatSpecific(), i.backingImage(), i.children(), i.unknown());
    }

    @Test
    void readsRawInfo() {
        QemuImgInfo info = infoAgreeingWithHumanText(create("disk.raw", DiskFormat.RAW), DiskFormat.RAW);

        assertThat(info.diskFormat()).contains(DiskFormat.RAW);
        assertThat(info.virtualSize()).isEqualTo(MIB);
        assertThat(info.clusterSize()).isEmpty();
        assertThat(info.formatSpecific()).isEmpty();
    }

    @Test
    void readsQcow2Version2And3Info() {
        QemuImgInfo v2 = infoAgreeingWithHumanText(create("v2.qcow2", DiskFormat.QCOW2, "compat", "0.10"), DiskFormat.QCOW2);
        QemuImgInfo v3 = infoAgreeingWithHumanText(
                create("v3.qcow2", DiskFormat.QCOW2, "compat", "1.1", "lazy_refcounts", "on"), DiskFormat.QCOW2);

        assertThat(v2.formatSpecific()).get().isInstanceOfSatisfying(QemuImgFormatSpecific.Qcow2.class,
                q -> assertThat(q.compat()).isEqualTo("0.10"));
        assertThat(v3.formatSpecific()).get().isInstanceOfSatisfying(QemuImgFormatSpecific.Qcow2.class, q -> {
            assertThat(q.compat()).isEqualTo("1.1");
            assertThat(q.lazyRefcounts()).contains(true);
            assertThat(q.refcountBits()).hasValue(16);
            assertThat(q.corrupt()).contains(false);
            assertThat(q.extendedL2()).contains(false);
            assertThat(q.compressionType()).contains("zlib");
            assertThat(q.unknown()).isEmpty();
        });
        assertThat(v3.clusterSize()).hasValue(65536);
        assertThat(v3.unknown()).isEmpty();
    }

    @Test
    void readsVmdkMonolithicSparseAndStreamOptimizedInfo() {
        QemuImgInfo sparse = infoAgreeingWithHumanText(create("sparse.vmdk", DiskFormat.VMDK), DiskFormat.VMDK);
        QemuImgInfo stream = infoAgreeingWithHumanText(
                create("stream.vmdk", DiskFormat.VMDK, "subformat", "streamOptimized"), DiskFormat.VMDK);

        QemuImgFormatSpecific.Vmdk s = (QemuImgFormatSpecific.Vmdk) sparse.formatSpecific().orElseThrow();
        assertThat(s.createType()).isEqualTo("monolithicSparse");
        assertThat(s.parentCid()).isEqualTo(0xffffffffL);
        assertThat(s.extents()).singleElement().satisfies(e -> {
            assertThat(e.filename()).isEqualTo(dir.resolve("sparse.vmdk").toString());
            assertThat(e.virtualSize()).isEqualTo(MIB);
            assertThat(e.compressed()).isEmpty();
        });
        QemuImgFormatSpecific.Vmdk so = (QemuImgFormatSpecific.Vmdk) stream.formatSpecific().orElseThrow();
        assertThat(so.createType()).isEqualTo("streamOptimized");
        assertThat(so.extents()).singleElement().satisfies(e -> assertThat(e.compressed()).contains(true));
    }

    @Test
    void readsVpcVhdxVdiAndQedInfo() {
        assertThat(infoAgreeingWithHumanText(create("d.vhd", DiskFormat.VPC), DiskFormat.VPC))
                .satisfies(i -> {
                    assertThat(i.diskFormat()).contains(DiskFormat.VPC);
                    // VHD geometry rounds the size up
                    assertThat(i.virtualSize()).isGreaterThanOrEqualTo(MIB);
                });
        assertThat(infoAgreeingWithHumanText(create("d.vhdx", DiskFormat.VHDX), DiskFormat.VHDX).diskFormat())
                .contains(DiskFormat.VHDX);
        assertThat(infoAgreeingWithHumanText(create("d.vdi", DiskFormat.VDI), DiskFormat.VDI).clusterSize())
                .hasValue(MIB);
        assertThat(infoAgreeingWithHumanText(create("d.qed", DiskFormat.QED), DiskFormat.QED).clusterSize())
                .hasValue(65536);
    }

    @Test
    void readsLuksInfoCreatedWithASecretFile() throws IOException {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "correct horse battery staple");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path image = dir.resolve("disk.luks");
        qemu.create(QemuImgCreateRequest.builder(image, DiskFormat.LUKS).size(MIB)
                .object(QemuObject.secretFile("sec0", secret))
                .option("key-secret", "sec0")
                // few iterations keep the test fast
                .option("iter-time", "10")
                .build());

        QemuImgInfo info = infoAgreeingWithHumanText(image, DiskFormat.LUKS);

        assertThat(info.encrypted()).isTrue();
        QemuImgFormatSpecific.Luks luks = (QemuImgFormatSpecific.Luks) info.formatSpecific().orElseThrow();
        assertThat(luks.cipherAlg()).isEqualTo("aes-256");
        assertThat(luks.cipherMode()).isEqualTo("xts");
        assertThat(luks.ivgenAlg()).isEqualTo("plain64");
        assertThat(luks.hashAlg()).isEqualTo("sha256");
        assertThat(luks.uuid()).isPresent();
        assertThat(luks.slots()).hasSize(8);
        assertThat(luks.slots().get(0).active()).isTrue();
        assertThat(luks.slots().subList(1, 8)).allSatisfy(s -> assertThat(s.active()).isFalse());
        assertThat(luks.unknown()).isEmpty();
    }

    @Test
    void readsSnapshotsOfAQcow2() {
        Path image = create("snap.qcow2", DiskFormat.QCOW2);
        ProcessResult snap = ProcessRunner.create().run(ProcessRequest.builder(
                List.of(qemu.binary().toString(), "snapshot", "-c", "my snap", image.toString())).build());
        assertThat(snap.exitCode()).as(snap.stderrTail()).isZero();

        QemuImgInfo info = infoAgreeingWithHumanText(image, DiskFormat.QCOW2);

        assertThat(info.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.id()).isEqualTo("1");
            assertThat(s.name()).isEqualTo("my snap");
            assertThat(s.date()).isBetween(java.time.Instant.now().minusSeconds(600), java.time.Instant.now());
        });
    }

    @Test
    void reportsABackingFileAndLinksTheBackingChain() {
        Path base = create("base.qcow2", DiskFormat.QCOW2);
        Path top = dir.resolve("top.qcow2");
        qemu.create(QemuImgCreateRequest.builder(top, DiskFormat.QCOW2)
                .backingFile(base.toString(), DiskFormat.QCOW2).build());

        QemuImgInfo info = infoAgreeingWithHumanText(top, DiskFormat.QCOW2);
        QemuImgInfo chain = qemu.infoWithBackingChain(top, DiskFormat.QCOW2);

        assertThat(info.backingFilename()).contains(base.toString());
        assertThat(info.backingFormat()).contains("qcow2");
        assertThat(info.backingImage()).isEmpty();
        assertThat(chain.backingChain()).extracting(QemuImgInfo::filename)
                .containsExactly(top.toString(), base.toString());
        assertThat(chain.backingImage().orElseThrow().hasBackingFile()).isFalse();
    }

    @Test
    void pathsWithSpacesQuotesAndColonsReachQemuImgIntact() {
        Path odd = create(" it's a \"disk\": v1.qcow2 ", DiskFormat.QCOW2);

        assertThat(qemu.info(odd, DiskFormat.QCOW2).filename()).isEqualTo(odd.toString());
        assertThat(QemuImg.pathArgument(Path.of("nbd:host:10809"))).isEqualTo("./nbd:host:10809");
        assertThat(QemuImg.pathArgument(Path.of("-f"))).isEqualTo("./-f");
        assertThat(QemuImg.pathArgument(Path.of("/abs/json:{}"))).isEqualTo("/abs/json:{}");
        assertThat(QemuImg.pathArgument(Path.of(":leading-colon"))).isEqualTo("./:leading-colon");
        assertThat(QemuImg.pathArgument(Path.of("plain.qcow2"))).isEqualTo("plain.qcow2");
    }

    @Test
    void failingQemuImgThrowsWithExitCodeAndStderrTail() {
        Path missing = dir.resolve("missing.qcow2");

        assertThatThrownBy(() -> qemu.info(missing, DiskFormat.QCOW2))
                .isInstanceOfSatisfying(QemuImgException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(1);
                    assertThat(e.timedOut()).isFalse();
                    assertThat(e.stderrTail()).contains("Could not open");
                    assertThat(e.command()).contains(missing.toString(), "-f", "qcow2", "--output=json", "-U");
                })
                .hasMessageContaining("exit code 1")
                .hasMessageContaining("Could not open")
                .hasMessageContaining(missing.toString());
    }

    @Test
    void infoOfAQcow2AsRawDoesNotProbe() {
        Path image = create("really.qcow2", DiskFormat.QCOW2);

        assertThat(qemu.info(image, DiskFormat.RAW).formatName()).isEqualTo("raw");
        assertThat(qemu.probeInfo(image).formatName()).isEqualTo("qcow2");
    }

    @Test
    void checkReportsCleanLeakedCorruptedAndUnsupported() throws IOException {
        Path clean = create("clean.qcow2", DiskFormat.QCOW2);
        Path leaked = create("leaked.qcow2", DiskFormat.QCOW2);
        Path corrupted = create("corrupted.qcow2", DiskFormat.QCOW2);
        // qcow2 refcount of cluster 0 (the header): 2 is more than its one reference (a leak),
        // 0 is less (a corruption).
        setRefcountOfClusterZero(leaked, 2);
        setRefcountOfClusterZero(corrupted, 0);

        assertThat(qemu.check(clean, DiskFormat.QCOW2)).satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(QemuImgCheckResult.Outcome.CLEAN);
            assertThat(r.clean()).isTrue();
            assertThat(r.imageEndOffset()).isPresent();
        });
        assertThat(qemu.check(leaked, DiskFormat.QCOW2)).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.outcome()).isEqualTo(QemuImgCheckResult.Outcome.LEAKED);
            assertThat(r.leaks()).isEqualTo(1);
            assertThat(r.corruptions()).isZero();
        });
        assertThat(qemu.check(corrupted, DiskFormat.QCOW2)).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.outcome()).isEqualTo(QemuImgCheckResult.Outcome.CORRUPTED);
            assertThat(r.corruptions()).isEqualTo(1);
        });
        assertThat(qemu.check(create("x.vhd", DiskFormat.VPC), DiskFormat.VPC).outcome())
                .isEqualTo(QemuImgCheckResult.Outcome.NOT_SUPPORTED);
    }

    /** Writes a 16-bit refcount for cluster 0 into the first refcount block. */
    private static void setRefcountOfClusterZero(Path qcow2, int refcount) throws IOException {
        try (FileChannel ch = FileChannel.open(qcow2, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(8);
            // qcow2 spec: refcount_table_offset at header byte 48
            ch.read(header, 48);
            long table = header.flip().getLong();
            ByteBuffer entry = ByteBuffer.allocate(8);
            ch.read(entry, table);
            long block = entry.flip().getLong();
            ch.write(ByteBuffer.allocate(2).putShort(0, (short) refcount), block);
        }
    }

    @Test
    void convertReportsProgressAndWritesTheTarget() {
        Path source = create("src.raw", DiskFormat.RAW);
        Path target = dir.resolve("out dir with space.qcow2");
        List<Double> progress = new CopyOnWriteArrayList<>();

        qemu.convert(QemuImgConvertRequest.builder(source, DiskFormat.RAW, target, DiskFormat.QCOW2)
                .option("compat", "0.10").compress(true).cacheMode(CacheMode.WRITEBACK)
                .progress(progress::add).build());

        assertThat(progress).isNotEmpty().isSorted().last().isEqualTo(100.0);
        QemuImgInfo info = qemu.info(target, DiskFormat.QCOW2);
        assertThat(info.virtualSize()).isEqualTo(MIB);
        assertThat(((QemuImgFormatSpecific.Qcow2) info.formatSpecific().orElseThrow()).compat()).isEqualTo("0.10");
    }

    @Test
    void resizeGrowsAndShrinksOnlyWhenAllowed() {
        Path image = create("r.qcow2", DiskFormat.QCOW2);

        qemu.resize(image, DiskFormat.QCOW2, 4 * MIB, false);
        assertThat(qemu.info(image, DiskFormat.QCOW2).virtualSize()).isEqualTo(4 * MIB);
        assertThatThrownBy(() -> qemu.resize(image, DiskFormat.QCOW2, 2 * MIB, false))
                .isInstanceOf(QemuImgException.class).hasMessageContaining("shrink");
        qemu.resize(image, DiskFormat.QCOW2, 2 * MIB, true);
        assertThat(qemu.info(image, DiskFormat.QCOW2).virtualSize()).isEqualTo(2 * MIB);
    }

    @Test
    void measureReportsRequiredAndFullyAllocatedSizes() {
        QemuImgMeasurement fromImage = qemu.measure(create("m.raw", DiskFormat.RAW), DiskFormat.RAW, DiskFormat.QCOW2);
        QemuImgMeasurement fromSize = qemu.measure(1L << 30, DiskFormat.QCOW2);

        assertThat(fromImage.required()).isPositive().isLessThanOrEqualTo(fromImage.fullyAllocated());
        assertThat(fromSize.fullyAllocated()).isGreaterThan(1L << 30);
    }

    @Test
    void commitRebaseAndRemoveBackingChangeTheChain() {
        Path base = create("base.qcow2", DiskFormat.QCOW2);
        Path other = create("other.qcow2", DiskFormat.QCOW2);
        Path top = dir.resolve("top.qcow2");
        qemu.create(QemuImgCreateRequest.builder(top, DiskFormat.QCOW2).backingFile(base.toString(), DiskFormat.QCOW2).build());

        qemu.commit(top, DiskFormat.QCOW2);
        qemu.rebase(top, DiskFormat.QCOW2, other.toString(), DiskFormat.QCOW2, true);
        assertThat(qemu.info(top, DiskFormat.QCOW2).backingFilename()).contains(other.toString());
        qemu.removeBacking(top, DiskFormat.QCOW2);
        assertThat(qemu.info(top, DiskFormat.QCOW2).hasBackingFile()).isFalse();
    }

    private static final int PATTERN_BYTES = 64 << 10;

    /** A raw image of 1 MiB whose first 64 KiB are {@code fill} and the rest zeros. */
    private Path patternedRaw(String name, int fill) throws IOException {
        byte[] bytes = new byte[(int) MIB];
        java.util.Arrays.fill(bytes, 0, PATTERN_BYTES, (byte) fill);
        return Files.write(dir.resolve(name), bytes);
    }

    /** A qcow2 overlay of {@code backing} (raw) holding the data of {@code content} (raw). */
    private Path overlayWithContent(String name, Path content, Path backing) {
        Path overlay = dir.resolve(name);
        qemu.convert(QemuImgConvertRequest.builder(content, DiskFormat.RAW, overlay, DiskFormat.QCOW2).build());
        // -u only writes the header: the overlay keeps its own clusters and reads the rest from backing.
        qemu.rebase(overlay, DiskFormat.QCOW2, backing.toString(), DiskFormat.RAW, true);
        return overlay;
    }

    /** {@code qemu-img compare}: exit 0 when both images have the same guest-visible content. */
    private int compare(Path first, DiskFormat firstFormat, Path second, DiskFormat secondFormat) {
        ProcessResult result = ProcessRunner.create().run(ProcessRequest.builder(List.of(qemu.binary().toString(),
                "compare", "-f", firstFormat.qemuName(), "-F", secondFormat.qemuName(),
                first.toString(), second.toString())).build());
        assertThat(result.exitCode()).as(result.stderrTail()).isIn(0, 1);
        return result.exitCode();
    }

    @Test
    void commitWritesTheOverlaysDataIntoItsBackingFile() throws IOException {
        Path base = dir.resolve("base.raw");
        qemu.create(QemuImgCreateRequest.builder(base, DiskFormat.RAW).size(MIB).build());
        Path overlay = overlayWithContent("overlay.qcow2", patternedRaw("pattern.raw", 0xab), base);
        assertThat(Files.readAllBytes(base)).containsOnly(0);

        qemu.commit(overlay, DiskFormat.QCOW2);

        byte[] committed = Files.readAllBytes(base);
        assertThat(java.util.Arrays.copyOfRange(committed, 0, PATTERN_BYTES)).containsOnly((byte) 0xab);
        assertThat(java.util.Arrays.copyOfRange(committed, PATTERN_BYTES, committed.length)).containsOnly(0);
    }

    @Test
    void safeRebaseChangesTheBackingFileAndKeepsTheContent() throws IOException {
        Path oldBase = patternedRaw("old-base.raw", 0x5a);
        Path newBase = patternedRaw("new-base.raw", 0x00);
        Path top = dir.resolve("top.qcow2");
        qemu.create(QemuImgCreateRequest.builder(top, DiskFormat.QCOW2).backingFile(oldBase.toString(), DiskFormat.RAW)
                .build());
        assertThat(compare(top, DiskFormat.QCOW2, newBase, DiskFormat.RAW)).as("differs before").isEqualTo(1);

        qemu.rebase(top, DiskFormat.QCOW2, newBase.toString(), DiskFormat.RAW, false);

        assertThat(qemu.info(top, DiskFormat.QCOW2).backingFilename()).contains(newBase.toString());
        assertThat(compare(top, DiskFormat.QCOW2, oldBase, DiskFormat.RAW)).as("same content as before").isZero();
        Files.delete(oldBase);
        assertThat(compare(top, DiskFormat.QCOW2, patternedRaw("expected.raw", 0x5a), DiskFormat.RAW))
                .as("content no longer needs the old base").isZero();
    }

    @Test
    void failedConvertReportsThePartialTargetItLeft() throws IOException {
        Path source = dir.resolve("corrupt.qcow2");
        qemu.convert(QemuImgConvertRequest.builder(patternedRaw("p.raw", 0xab), DiskFormat.RAW, source,
                DiskFormat.QCOW2).build());
        misalignFirstDataCluster(source);
        Path target = dir.resolve("out.raw");

        assertThatThrownBy(() -> qemu.convert(QemuImgConvertRequest.builder(source, DiskFormat.QCOW2, target,
                        DiskFormat.RAW).build()))
                .isInstanceOfSatisfying(QemuImgConvertException.class, e -> {
                    assertThat(e.target()).isEqualTo(target);
                    assertThat(e.partialTarget()).contains(target);
                    assertThat(e.exitCode()).isEqualTo(1);
                })
                .hasMessageContaining("partial target remains at " + target);
        assertThat(target).exists();
    }

    @Test
    void convertThatFailsBeforeWritingSaysNoTargetWasLeft() {
        Path target = dir.resolve("never.raw");

        assertThatThrownBy(() -> qemu.convert(QemuImgConvertRequest.builder(dir.resolve("missing.qcow2"),
                        DiskFormat.QCOW2, target, DiskFormat.RAW).build()))
                .isInstanceOfSatisfying(QemuImgConvertException.class, e -> {
                    assertThat(e.target()).isEqualTo(target);
                    assertThat(e.partialTarget()).isEmpty();
                })
                .hasMessageContaining("no target file was left at " + target);
    }

    /** Points the first L2 entry 512 bytes past its cluster: qemu refuses to read it (EIO). */
    private static void misalignFirstDataCluster(Path qcow2) throws IOException {
        try (FileChannel ch = FileChannel.open(qcow2, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // qcow2 spec: l1_table_offset at header byte 40; entries carry flags in the top bits
            // and offsets in bits 9-55
            long l1 = readLong(ch, 40);
            long l2 = readLong(ch, l1) & 0x00ff_ffff_ffff_fe00L;
            long entry = readLong(ch, l2);
            assertThat(entry & 0x00ff_ffff_ffff_fe00L).as("first cluster allocated").isPositive();
            ch.write(ByteBuffer.allocate(8).putLong(0, entry + 512), l2);
        }
    }

    private static long readLong(FileChannel ch, long offset) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8);
        ch.read(buffer, offset);
        return buffer.flip().getLong();
    }

    // ---- fake qemu-img scripts ----

    private QemuImg fake(String infoBehaviour) throws IOException {
        Path script = ProcessRunnerTest.script(dir, "qemu-img",
                "if [ \"$1\" = --version ]; then echo 'qemu-img version 7.2.0'; exit 0; fi\n" + infoBehaviour);
        return QemuImg.at(script);
    }

    /**
     * A fake that writes its arguments, one a line, to {@code args} (and its TZ to {@code tz}),
     * then behaves as {@code behaviour}.
     */
    private QemuImg recording(String behaviour) throws IOException {
        return fake("printf '%s\\n' \"$@\" > '" + dir.resolve("args") + "'\n"
                + "printf '%s' \"$TZ\" > '" + dir.resolve("tz") + "'\n" + behaviour);
    }

    private List<String> recordedArguments() throws IOException {
        return Files.readAllLines(dir.resolve("args"));
    }

    @Test
    void resizePassesFormatShrinkPathAndSizeInOrder() throws IOException {
        QemuImg fake = recording("exit 0");

        fake.resize(dir.resolve("-odd:name"), DiskFormat.QCOW2, 5 * MIB, true);
        assertThat(recordedArguments()).containsExactly("resize", "-f", "qcow2", "--shrink",
                dir.resolve("-odd:name").toString(), Long.toString(5 * MIB));

        fake.resize(Path.of("-rel"), DiskFormat.RAW, 0, false);
        assertThat(recordedArguments()).containsExactly("resize", "-f", "raw", "./-rel", "0");
        assertThat(Files.readString(dir.resolve("tz"))).isEqualTo("UTC");
    }

    @Test
    void resizeRefusesANegativeSizeWithoutRunningQemuImg() throws IOException {
        QemuImg fake = recording("exit 0");

        assertThatThrownBy(() -> fake.resize(dir.resolve("x"), DiskFormat.RAW, -1, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThat(dir.resolve("args")).doesNotExist();
    }

    @Test
    void commitRebaseAndRemoveBackingPassTheirArgumentsInOrder() throws IOException {
        QemuImg fake = recording("exit 0");
        Path image = dir.resolve("top.qcow2");

        fake.commit(image, DiskFormat.QCOW2);
        assertThat(recordedArguments()).containsExactly("commit", "-f", "qcow2", image.toString());

        fake.rebase(image, DiskFormat.QCOW2, "new base.raw", DiskFormat.RAW, true);
        assertThat(recordedArguments()).containsExactly("rebase", "-f", "qcow2", "-u", "-b", "new base.raw",
                "-F", "raw", image.toString());

        fake.rebase(Path.of("a:b"), DiskFormat.VMDK, "base.vmdk", DiskFormat.VMDK, false);
        assertThat(recordedArguments()).containsExactly("rebase", "-f", "vmdk", "-b", "base.vmdk",
                "-F", "vmdk", "./a:b");

        fake.removeBacking(image, DiskFormat.QCOW2);
        assertThat(recordedArguments()).containsExactly("rebase", "-f", "qcow2", "-b", "", image.toString());
    }

    @Test
    void failuresOfTheDataMovingVerbsAreQemuImgExceptions() throws IOException {
        QemuImg failing = recording("echo 'qemu-img: nope' >&2; exit 1");
        Path image = dir.resolve("i");

        for (org.junit.jupiter.api.function.Executable verb : List.<org.junit.jupiter.api.function.Executable>of(
                () -> failing.resize(image, DiskFormat.RAW, MIB, false),
                () -> failing.commit(image, DiskFormat.QCOW2),
                () -> failing.rebase(image, DiskFormat.QCOW2, "b", DiskFormat.RAW, true),
                () -> failing.removeBacking(image, DiskFormat.QCOW2),
                () -> failing.measure(MIB, DiskFormat.RAW))) {
            assertThatThrownBy(verb::execute).isInstanceOfSatisfying(QemuImgException.class, e -> {
                assertThat(e.exitCode()).isEqualTo(1);
                assertThat(e.stderrTail()).isEqualTo("qemu-img: nope\n");
            });
        }
    }

    @Test
    void measurePassesTargetFormatAndSourceAndReadsAllCounts() throws IOException {
        QemuImg fake = recording("echo '{\"required\": 11, \"fully-allocated\": 22, \"bitmaps\": 33}'");

        QemuImgMeasurement fromImage = fake.measure(dir.resolve("s.vmdk"), DiskFormat.VMDK, DiskFormat.QCOW2);
        assertThat(recordedArguments()).containsExactly("measure", "--output=json", "-O", "qcow2",
                "-f", "vmdk", dir.resolve("s.vmdk").toString());
        assertThat(fromImage).isEqualTo(new QemuImgMeasurement(11, 22, java.util.OptionalLong.of(33)));

        fake.measure(7 * MIB, DiskFormat.RAW);
        assertThat(recordedArguments()).containsExactly("measure", "--output=json", "-O", "raw",
                "--size", Long.toString(7 * MIB));
    }

    @Test
    void measureAnswerWithoutARequiredCountIsATypedError() throws IOException {
        assertThatThrownBy(() -> recording("echo '{\"fully-allocated\": 22}'").measure(MIB, DiskFormat.RAW))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("'required' missing");
        assertThatThrownBy(() -> recording("echo '{\"required\": 22}'").measure(MIB, DiskFormat.RAW))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("'fully-allocated' missing");
    }

    @Test
    void checkPassesItsArgumentsAndReadsEveryCountForEachResultCode() throws IOException {
        Path exit = dir.resolve("exit");
        QemuImg fake = recording("echo '{\"corruptions\": 1, \"leaks\": 2, \"check-errors\": 3, "
                + "\"image-end-offset\": 4}'; echo 'warn' >&2; exit $(cat '" + exit + "')");

        for (QemuImgCheckResult.Outcome outcome : List.of(QemuImgCheckResult.Outcome.CLEAN,
                QemuImgCheckResult.Outcome.CORRUPTED, QemuImgCheckResult.Outcome.LEAKED)) {
            Files.writeString(exit, Integer.toString(outcome.exitCode()));
            assertThat(fake.check(dir.resolve("c.qcow2"), DiskFormat.QCOW2)).isEqualTo(new QemuImgCheckResult(
                    outcome.exitCode(), outcome, 1, 2, 3, java.util.OptionalLong.of(4), "warn\n"));
        }
        assertThat(recordedArguments()).containsExactly("check", "-f", "qcow2", "--output=json",
                dir.resolve("c.qcow2").toString());

        Files.writeString(exit, "63");
        assertThat(fake.check(dir.resolve("c.qcow2"), DiskFormat.QCOW2)).isEqualTo(new QemuImgCheckResult(
                63, QemuImgCheckResult.Outcome.NOT_SUPPORTED, 0, 0, 0, java.util.OptionalLong.empty(), "warn\n"));
        Files.writeString(exit, "4");
        assertThatThrownBy(() -> fake.check(dir.resolve("c.qcow2"), DiskFormat.QCOW2))
                .isInstanceOfSatisfying(QemuImgException.class, e -> assertThat(e.exitCode()).isEqualTo(4));
    }

    @Test
    void checkOfAQuietImageCountsZero() throws IOException {
        QemuImgCheckResult result = recording("echo '{}'").check(dir.resolve("c"), DiskFormat.QCOW2);

        assertThat(result).isEqualTo(new QemuImgCheckResult(0, QemuImgCheckResult.Outcome.CLEAN, 0, 0, 0,
                java.util.OptionalLong.empty(), ""));
    }

    @Test
    void hungCheckIsKilledAtTheTimeoutEvenWithAResultExitCode() throws IOException {
        // exits 0 on SIGTERM, which is a result code: only the timeout flag marks the failure
        QemuImg hung = recording("trap 'exit 0' TERM\nsleep 30 & wait").withTimeout(Duration.ofMillis(300));

        assertThatThrownBy(() -> hung.check(dir.resolve("c"), DiskFormat.QCOW2))
                .isInstanceOfSatisfying(QemuImgException.class, e -> assertThat(e.timedOut()).isTrue());
    }

    @Test
    void convertPassesProgressPercentagesAsQemuPrintsThem() throws IOException {
        QemuImg fake = recording("printf '    (0.00/100%%)\\r    (45.67/100%%)\\r    (100.00/100%%)\\r\\n'");
        List<Double> progress = new CopyOnWriteArrayList<>();

        fake.convert(QemuImgConvertRequest.builder(dir.resolve("s"), DiskFormat.RAW, dir.resolve("t"), DiskFormat.QCOW2)
                .progress(progress::add).build());

        assertThat(progress).containsExactly(0.0, 45.67, 100.0);
        assertThat(recordedArguments()).startsWith("convert").contains("-p");
    }

    @Test
    void hungConvertIsKilledAtTheDataTimeout() throws IOException {
        QemuImg hung = recording("exec sleep 30").withTimeout(Duration.ofMillis(300));
        Path target = dir.resolve("t");

        assertThatThrownBy(() -> hung.convert(QemuImgConvertRequest.builder(dir.resolve("s"), DiskFormat.RAW,
                        target, DiskFormat.QCOW2).build()))
                .isInstanceOfSatisfying(QemuImgConvertException.class, e -> {
                    assertThat(e.timedOut()).isTrue();
                    assertThat(e.partialTarget()).isEmpty();
                });
    }

    @Test
    void createRepeatsQemusFlakyPbkdfBenchmarkButNotRealFailures() throws IOException {
        Path counter = dir.resolve("attempts");
        QemuImg flaky = fake("echo x >> '" + counter + "'\n"
                + "if [ $(wc -l < '" + counter + "') -lt 3 ]; then echo 'qemu-img: d: Unable to get accurate CPU usage' >&2;"
                + " exit 1; fi\nexit 0");
        QemuImgCreateRequest request = QemuImgCreateRequest.builder(dir.resolve("d"), DiskFormat.LUKS).size(MIB).build();

        flaky.create(request);
        assertThat(Files.readAllLines(counter)).hasSize(3);

        QemuImg broken = fake("echo 'qemu-img: d: Permission denied' >&2; exit 1");
        assertThatThrownBy(() -> broken.create(request)).isInstanceOf(QemuImgException.class)
                .hasMessageContaining("Permission denied");
    }

    @Test
    void createGivesUpWhenThePbkdfFlakePersists() throws IOException {
        Path counter = dir.resolve("attempts");
        QemuImg flaky = fake("echo x >> '" + counter + "'\n"
                + "echo 'qemu-img: d: Unable to get accurate CPU usage' >&2; exit 1");

        assertThatThrownBy(() -> flaky.create(QemuImgCreateRequest.builder(dir.resolve("d"), DiskFormat.LUKS).size(MIB)
                        .build()))
                .isInstanceOf(QemuImgException.class).hasMessageContaining("Unable to get accurate CPU usage");
        assertThat(Files.readAllLines(counter)).hasSize(QemuImg.PBKDF_BENCHMARK_ATTEMPTS);
    }

    @Test
    void infoLimitsDefaultToCindersAndCanBeReplacedOrDropped() {
        QemuImg configured = QemuImg.at(Path.of("/opt/qemu-img"));

        assertThat(configured.binary()).isEqualTo(Path.of("/opt/qemu-img"));
        assertThat(configured.infoLimits()).contains(QemuImg.DEFAULT_INFO_LIMITS);
        assertThat(configured.withInfoLimits(new ProcessLimits(2, 3)).infoLimits()).contains(new ProcessLimits(2, 3));
        assertThat(configured.withoutInfoLimits().infoLimits()).isEmpty();
        assertThatThrownBy(() -> configured.withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> configured.withInfoTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedJsonFromQemuImgIsATypedError() throws IOException {
        QemuImg broken = fake("echo '{\"filename\": \"x\", \"format\": '");

        assertThatThrownBy(() -> broken.info(dir.resolve("x"), DiskFormat.RAW))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("malformed");
    }

    @Test
    void jsonWithoutRequiredFieldsFromQemuImgIsATypedError() throws IOException {
        QemuImg broken = fake("echo '{\"filename\": \"x\", \"format\": \"raw\"}'");

        assertThatThrownBy(() -> broken.info(dir.resolve("x"), DiskFormat.RAW))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("virtual-size");
    }

    @Test
    void oversizedAnswerFromQemuImgIsATypedError() throws IOException {
        QemuImg chatty = fake("head -c 9000000 /dev/zero | tr '\\\\0' ' '");

        assertThatThrownBy(() -> chatty.info(dir.resolve("x"), DiskFormat.RAW))
                .isInstanceOf(QemuImgInfoParseException.class).hasMessageContaining("larger than");
    }

    @Test
    void infoRunsUnderTheLimitsWithFormatJsonAndForceShare() throws IOException {
        // The fake reports its arguments and its CPU / address-space limits in the filename field.
        QemuImg reporting = fake("printf '{\"filename\": \"%s|%s|%s\", \"format\": \"raw\", \"virtual-size\": 0}' "
                + "\"$*\" \"$(ulimit -t)\" \"$(ulimit -v)\"");

        String defaults = reporting.info(dir.resolve("a b.img"), DiskFormat.VPC).filename();
        String custom = reporting.withInfoLimits(new ProcessLimits(5, 512 * MIB))
                .info(dir.resolve("c"), DiskFormat.QCOW2).filename();
        String unlimited = reporting.withoutInfoLimits().probeInfo(dir.resolve("p")).filename();

        assertThat(defaults).isEqualTo("info -f vpc --output=json -U " + dir.resolve("a b.img") + "|30|" + (1 << 20));
        assertThat(custom).endsWith("|5|" + 512 * 1024);
        assertThat(unlimited).isEqualTo("info --output=json -U " + dir.resolve("p") + "|unlimited|unlimited");
    }

    @Test
    void hungQemuImgIsKilledAtTheInfoTimeout() throws IOException {
        QemuImg hung = fake("exec sleep 60").withInfoTimeout(Duration.ofSeconds(1));
        long start = System.nanoTime();

        assertThatThrownBy(() -> hung.info(dir.resolve("x"), DiskFormat.RAW))
                .isInstanceOfSatisfying(QemuImgException.class, e -> assertThat(e.timedOut()).isTrue())
                .hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void checkExitCodeOneIsAFailure() throws IOException {
        QemuImg failing = fake("echo 'qemu-img: Check failed: Input/output error' >&2; exit 1");

        assertThatThrownBy(() -> failing.check(dir.resolve("x"), DiskFormat.QCOW2))
                .isInstanceOfSatisfying(QemuImgException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
                .hasMessageContaining("Check failed");
    }

    @Test
    void oldQemuImgFailsAVersionRequirementAndSkipsForceShare() throws IOException {
        Path script = ProcessRunnerTest.script(dir, "old-qemu-img",
                "if [ \"$1\" = --version ]; then echo 'qemu-img version 2.9.0, Copyright'; exit 0; fi\n"
                + "printf '{\"filename\": \"%s\", \"format\": \"raw\", \"virtual-size\": 0}' \"$*\"");
        QemuImg old = QemuImg.at(script);

        assertThatThrownBy(() -> old.requireVersion(QemuImgVersion.of("2.10")))
                .isInstanceOf(QemuImgVersionException.class)
                .hasMessageContaining("2.9.0").hasMessageContaining("2.10.0");
        List<String> args = new ArrayList<>(List.of(old.info(Path.of("/x"), DiskFormat.RAW).filename().split(" ")));
        assertThat(args).containsExactly("info", "-f", "raw", "--output=json", "/x");
    }

    @Test
    void rejectsBadOptionNames() {
        assertThatThrownBy(() -> QemuImgCreateRequest.builder(dir.resolve("x"), DiskFormat.QCOW2).option("a,b", "c"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QemuImgConvertRequest.builder(dir, DiskFormat.RAW, dir, DiskFormat.RAW).option("", "c"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new QemuObject("secret", java.util.Map.of("file", "/a,b")).toArgument()).isEqualTo("secret,file=/a,,b");
    }

    @Test
    void optionsReachTheCommandLineInTheOrderGiven() {
        QemuImgCreateRequest create = QemuImgCreateRequest.builder(dir.resolve("o.qcow2"), DiskFormat.QCOW2)
                .size(MIB).option("z", "1").option("a", "2,3").option("m", "4").build();
        QemuImgConvertRequest convert = QemuImgConvertRequest.builder(dir.resolve("s"), DiskFormat.RAW,
                        dir.resolve("t"), DiskFormat.QCOW2)
                .option("z", "1").option("a", "2").option("m", "3").option("z", "9").build();

        assertThat(create.arguments()).containsSubsequence("-o", "z=1,a=2,,3,m=4");
        assertThat(convert.arguments()).containsSubsequence("-o", "z=9,a=2,m=3");
    }

    @Test
    void cacheModesAreGivenByTheirQemuNames() {
        QemuImgConvertRequest request = QemuImgConvertRequest.builder(dir.resolve("s"), DiskFormat.RAW,
                        dir.resolve("t"), DiskFormat.RAW)
                .cacheMode(CacheMode.NONE).sourceCacheMode(CacheMode.DIRECTSYNC).build();

        assertThat(request.arguments()).containsSubsequence("-t", "none", "-T", "directsync");
        assertThat(java.util.Arrays.stream(CacheMode.values()).map(CacheMode::qemuName))
                .containsExactly("none", "writeback", "writethrough", "directsync", "unsafe");
    }
}
