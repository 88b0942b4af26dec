package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageConversionDirectoryTest {

    @TempDir
    Path root;

    private Path conversion;
    private Path outside;

    @BeforeEach
    void createDirectories() throws IOException {
        conversion = Files.createDirectory(root.resolve("conversion"));
        outside = Files.createDirectory(root.resolve("outside"));
    }

    @Test
    void temporaryFileIsCreatedEmptyAndReadableByItsOwnerOnly() throws IOException {
        try (TemporaryFile tmp = ImageConversionDirectory.of(conversion).temporaryFile()) {
            assertThat(tmp.path()).isRegularFile().hasParent(conversion).isEmptyFile();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.path())))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void temporaryFileNameStartsWithBackendAndKeepsCallerPrefixAndSuffix() {
        ImageConversionDirectory directory = ImageConversionDirectory.of(conversion).forBackend("lvm-1");
        try (TemporaryFile tmp = directory.temporaryFile("image_download_42_", ".qcow2")) {
            assertThat(tmp.path().getFileName().toString())
                    .startsWith("diskimage.lvm-1.image_download_42_")
                    .endsWith(".qcow2");
        }
    }

    @Test
    void closingTemporaryFileDeletesItOnceAndToleratesRepeatedOrLateClose() throws IOException {
        TemporaryFile tmp = ImageConversionDirectory.of(conversion).temporaryFile("x", "");
        Files.writeString(tmp.path(), "image bytes");
        tmp.close();
        assertThat(tmp.path()).doesNotExist();
        tmp.close();

        TemporaryFile removedByOthers = ImageConversionDirectory.of(conversion).temporaryFile();
        Files.delete(removedByOthers.path());
        removedByOthers.close();
        assertThat(conversion).isEmptyDirectory();
    }

    @Test
    void temporaryFileIsDeletedWhenTheBlockThrows() {
        List<Path> seen = new ArrayList<>();
        assertThatThrownBy(() -> {
            try (TemporaryFile tmp = ImageConversionDirectory.of(conversion).temporaryFile()) {
                seen.add(tmp.path());
                throw new IllegalStateException("download failed");
            }
        }).isInstanceOf(IllegalStateException.class);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).doesNotExist();
    }

    @Test
    void closingTemporaryFileReplacedByLinkRemovesTheLinkNotItsTarget() throws IOException {
        Path secret = Files.writeString(outside.resolve("secret"), "keep me");
        TemporaryFile tmp = ImageConversionDirectory.of(conversion).temporaryFile();
        Files.delete(tmp.path());
        Files.createSymbolicLink(tmp.path(), secret);

        tmp.close();

        assertThat(Files.exists(tmp.path(), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(secret).hasContent("keep me");
    }

    @Test
    void temporaryDirectoryIsAccessibleToItsOwnerOnly() throws IOException {
        try (TemporaryDirectory tmp = ImageConversionDirectory.of(conversion).temporaryDirectory()) {
            assertThat(tmp.path()).isDirectory().hasParent(conversion).isEmptyDirectory();
            assertThat(tmp.path().getFileName().toString()).startsWith("diskimage.default.");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.path())))
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void closingTemporaryDirectoryDeletesNestedTreeButNeverFollowsLinksOutOfIt() throws IOException {
        Path outsideFile = Files.writeString(outside.resolve("host-file"), "host data");
        Path outsideDir = Files.createDirectory(outside.resolve("host-dir"));
        Path outsideDirFile = Files.writeString(outsideDir.resolve("inner"), "more host data");

        TemporaryDirectory tmp = ImageConversionDirectory.of(conversion).temporaryDirectory();
        Path nested = Files.createDirectories(tmp.path().resolve("a/b/c"));
        Files.writeString(tmp.path().resolve("0.vhd"), "vhd");
        Files.writeString(nested.resolve("deep.vhd"), "deep");
        Files.createSymbolicLink(tmp.path().resolve("link-to-file"), outsideFile);
        Files.createSymbolicLink(nested.resolve("link-to-dir"), outsideDir);
        Files.createSymbolicLink(tmp.path().resolve("dangling"), outside.resolve("missing"));

        tmp.close();

        assertThat(tmp.path()).doesNotExist();
        assertThat(conversion).isEmptyDirectory();
        assertThat(outsideFile).hasContent("host data");
        assertThat(outsideDirFile).hasContent("more host data");
    }

    @Test
    void anEntryThatCannotBeDeletedIsReportedAndEverythingElseIsStillDeleted() throws IOException {
        TemporaryDirectory tmp = ImageConversionDirectory.of(conversion).temporaryDirectory();
        Files.writeString(tmp.path().resolve("a-before.vhd"), "a");
        Path locked = Files.createDirectory(tmp.path().resolve("m-locked"));
        Path stuck = Files.writeString(locked.resolve("stuck"), "s");
        Path laterTree = Files.createDirectories(tmp.path().resolve("z-after/inner"));
        Files.writeString(laterTree.resolve("deep.vhd"), "d");
        Runnable unlock = makeUndeletable(locked, stuck);
        try {
            assertThatThrownBy(tmp::close)
                    .isInstanceOfSatisfying(ImageIoException.class, e -> {
                        assertThat(e.path()).isEqualTo(tmp.path());
                        assertThat(e.getCause().getSuppressed()).isNotEmpty();
                    })
                    .hasMessageContaining(tmp.path().toString());

            try (var left = Files.walk(tmp.path())) {
                assertThat(left).containsExactlyInAnyOrder(tmp.path(), locked, stuck);
            }
        } finally {
            unlock.run();
        }
    }

    /**
     * Makes {@code file} impossible to delete: a read-only parent directory stops an ordinary
     * user, and root, whom permissions do not stop, gets the file marked immutable.
     *
     * @return undoes it, so that the test's temporary directory can be removed
     */
    private static Runnable makeUndeletable(Path directory, Path file) throws IOException {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("r-x------"));
        Path probe = directory.resolve("probe");
        try {
            Files.createFile(probe);
        } catch (java.nio.file.AccessDeniedException enforced) {
            return () -> setPermissions(directory, "rwx------");
        }
        Files.delete(probe);
        setPermissions(directory, "rwx------");
        ProcessResult immutable = ProcessRunner.create().run(
                ProcessRequest.builder(List.of("chattr", "+i", file.toString())).build());
        assertThat(immutable.exitCode()).as("root needs chattr +i (e2fsprogs, ext4/xfs/btrfs) for this test: "
                + immutable.stderrTail()).isZero();
        return () -> ProcessRunner.create().run(ProcessRequest.builder(List.of("chattr", "-i", file.toString())).build());
    }

    private static void setPermissions(Path path, String permissions) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void failingToCreateTheConversionDirectoryIsATypedErrorNamingIt() throws IOException {
        Path occupied = Files.writeString(root.resolve("a-file"), "not a directory");
        ImageConversionDirectory directory = ImageConversionDirectory.of(occupied.resolve("conversion"));

        assertThatThrownBy(directory::temporaryFile)
                .isInstanceOfSatisfying(ImageIoException.class,
                        e -> assertThat(e.path()).isEqualTo(occupied.resolve("conversion")))
                .hasMessageContaining(occupied.resolve("conversion").toString())
                .hasMessageContaining("could not create image conversion directory");
    }

    @Test
    void refusesToDeleteTreesNestedDeeperThanTheLimitInsteadOfOverflowingTheStack() throws IOException {
        TemporaryDirectory tmp = ImageConversionDirectory.of(conversion).temporaryDirectory();
        Path deepest = tmp.path();
        for (int level = 0; level <= RecursiveDeletion.MAX_DEPTH; level++) {
            deepest = Files.createDirectory(deepest.resolve("d"));
        }

        assertThatThrownBy(tmp::close)
                .isInstanceOf(ImageIoException.class)
                .hasMessageContaining(tmp.path().toString())
                .hasStackTraceContaining("deeper than " + RecursiveDeletion.MAX_DEPTH);
        assertThat(deepest).isDirectory();
    }

    @Test
    void createsAMissingConversionDirectoryAccessibleToItsOwnerOnly() throws IOException {
        Path missing = root.resolve("state/conversion");
        try (TemporaryFile tmp = ImageConversionDirectory.of(missing).temporaryFile()) {
            assertThat(tmp.path()).hasParent(missing);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(missing)))
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void rejectsPrefixOrSuffixThatWouldEscapeTheDirectory() {
        ImageConversionDirectory directory = ImageConversionDirectory.of(conversion);
        assertThatThrownBy(() -> directory.temporaryFile("../evil", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
        assertThatThrownBy(() -> directory.temporaryFile("", "/x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("suffix");
        assertThat(conversion).isEmptyDirectory();
    }

    @Test
    void rejectsEmptyOrOverlongBackendNames() {
        assertThatThrownBy(() -> ImageConversionDirectory.of(conversion).forBackend(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> ImageConversionDirectory.of(conversion).forBackend("#".repeat(40)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long");
        assertThatThrownBy(() -> ImageConversionDirectory.of(conversion).forBackend(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void systemDefaultUsesTheJvmTemporaryDirectory() {
        ImageConversionDirectory directory = ImageConversionDirectory.systemDefault();
        assertThat(directory.path()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath());
        assertThat(directory.backendName()).isEqualTo(ImageConversionDirectory.DEFAULT_BACKEND);
    }

    @Test
    void cleanupRemovesOneBackendsLeftoversAndLeavesOtherBackendsAndForeignFilesAlone() throws IOException {
        ImageConversionDirectory b = ImageConversionDirectory.of(conversion).forBackend("b");
        // Cinder's suffix match would take this backend's files for "b"'s too.
        ImageConversionDirectory lvmB = ImageConversionDirectory.of(conversion).forBackend("lvm-b");
        // A backend whose name starts with "b" and continues after a dot.
        ImageConversionDirectory bDotX = ImageConversionDirectory.of(conversion).forBackend("b.x");

        Path bFile = b.temporaryFile("image_download_1_", "").path();
        Path bDir = b.temporaryDirectory().path();
        Files.createDirectories(bDir.resolve("nested"));
        Files.writeString(bDir.resolve("nested/1.vhd"), "vhd");
        Path lvmBFile = lvmB.temporaryFile("vol_upload_", "").path();
        Path lvmBDir = lvmB.temporaryDirectory().path();
        Path bDotXFile = bDotX.temporaryFile().path();
        Path foreign = Files.writeString(conversion.resolve("operator-notes-b"), "mine");
        Path lookalike = Files.writeString(conversion.resolve("diskimage.b"), "no separator after the backend");

        List<Path> removed = b.cleanupTemporaryFiles();

        assertThat(removed).containsExactlyInAnyOrder(bFile, bDir);
        assertThat(bFile).doesNotExist();
        assertThat(bDir).doesNotExist();
        assertThat(lvmBFile).exists();
        assertThat(lvmBDir).isDirectory();
        assertThat(bDotXFile).exists();
        assertThat(foreign).hasContent("mine");
        assertThat(lookalike).exists();
    }

    @Test
    void cleanupNamesTheBackendExplicitlyAndLeavesTheCallersOwnFiles() throws IOException {
        ImageConversionDirectory mine = ImageConversionDirectory.of(conversion).forBackend("host@lvm#pool");
        ImageConversionDirectory other = mine.forBackend("host@ceph#pool");
        Path mineFile = mine.temporaryFile().path();
        Path otherFile = other.temporaryFile().path();

        List<Path> removed = mine.cleanupTemporaryFiles("host@ceph#pool");

        assertThat(removed).containsExactly(otherFile);
        assertThat(mineFile).exists();
        assertThat(mineFile.getFileName().toString()).startsWith("diskimage.host%40lvm%23pool.");
    }

    @Test
    void cleanupLeavesLinksNamedLikeOursAndTheirTargetsAlone() throws IOException {
        Path secret = Files.writeString(outside.resolve("secret"), "keep me");
        Path secretDir = Files.createDirectory(outside.resolve("dir"));
        Path secretDirFile = Files.writeString(secretDir.resolve("inner"), "keep me too");
        Path fileLink = Files.createSymbolicLink(conversion.resolve("diskimage.b.planted"), secret);
        Path dirLink = Files.createSymbolicLink(conversion.resolve("diskimage.b.planted-dir"), secretDir);

        List<Path> removed = ImageConversionDirectory.of(conversion).cleanupTemporaryFiles("b");

        assertThat(removed).isEmpty();
        assertThat(Files.isSymbolicLink(fileLink)).isTrue();
        assertThat(Files.isSymbolicLink(dirLink)).isTrue();
        assertThat(secret).hasContent("keep me");
        assertThat(secretDirFile).hasContent("keep me too");
    }

    @Test
    void cleanupOfALeftoverDirectoryDoesNotFollowLinksInside() throws IOException {
        Path secret = Files.writeString(outside.resolve("secret"), "keep me");
        ImageConversionDirectory b = ImageConversionDirectory.of(conversion).forBackend("b");
        Path leftover = b.temporaryDirectory().path();
        Files.createSymbolicLink(leftover.resolve("link"), secret);
        Files.createSymbolicLink(leftover.resolve("up"), outside);

        assertThat(b.cleanupTemporaryFiles()).containsExactly(leftover);
        assertThat(leftover).doesNotExist();
        assertThat(secret).hasContent("keep me");
    }

    @Test
    void cleanupOfAMissingConversionDirectoryRemovesNothing() {
        Path missing = root.resolve("never-created");
        assertThat(ImageConversionDirectory.of(missing).cleanupTemporaryFiles("b")).isEmpty();
        assertThat(missing).doesNotExist();
    }

    @Test
    void cleanupKeepsGoingWhenOneLeftoverCannotBeRemoved() throws IOException {
        ImageConversionDirectory b = ImageConversionDirectory.of(conversion).forBackend("b");
        // A tree deeper than the deletion limit cannot be removed, whoever runs the test.
        Path stuck = b.temporaryDirectory().path();
        Path deepest = stuck;
        for (int level = 0; level <= RecursiveDeletion.MAX_DEPTH; level++) {
            deepest = Files.createDirectory(deepest.resolve("d"));
        }
        Path removable = b.temporaryFile().path();

        List<Path> removed = b.cleanupTemporaryFiles();

        assertThat(removed).containsExactly(removable);
        assertThat(removable).doesNotExist();
        assertThat(deepest).isDirectory();
    }
}
