package dev.diskimage.conversion.vhd;

import static dev.diskimage.conversion.vhd.VhdChainImages.KIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.MIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.assertAcceptedByTheValidatorAndQemu;
import static dev.diskimage.conversion.vhd.VhdChainImages.assertQemuReads;
import static dev.diskimage.conversion.vhd.VhdChainImages.chain;
import static dev.diskimage.conversion.vhd.VhdChainImages.read;
import static dev.diskimage.conversion.vhd.VhdChainImages.readChain;
import static dev.diskimage.conversion.vhd.VhdChainImages.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.vhd.VhdDiskType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VhdChainTest {

    @TempDir
    Path dir;

    @Test
    void discoversConsecutivelyNumberedFilesTopFirst() throws Exception {
        for (String name : List.of("0.vhd", "1.vhd", "2.vhd", "4.vhd")) {
            Files.writeString(dir.resolve(name), "x");
        }

        assertThat(VhdChain.discover(dir)).containsExactly(dir.resolve("0.vhd"), dir.resolve("1.vhd"),
                dir.resolve("2.vhd"));
        assertThat(VhdChain.discover(dir.resolve("0.vhd").resolveSibling("missing"))).isEmpty();
    }

    @Test
    void discoveryRefusesADirectoryOrLinkInTheSequence() throws Exception {
        Files.writeString(dir.resolve("0.vhd"), "x");
        Files.createSymbolicLink(dir.resolve("1.vhd"), dir.resolve("0.vhd"));

        assertRefused(() -> VhdChain.discover(dir), VhdChainException.Reason.NOT_A_CHAIN);
    }

    @Test
    void opensAChainTopFirstAndShowsTheTopsView() throws Exception {
        var built = chain(dir, 512 * KIB, 1, 4 * MIB, 4 * MIB, 4 * MIB);

        try (VhdChain chain = VhdChain.open(built.top())) {
            assertThat(chain.members()).extracting(VhdFile::path).containsExactlyElementsOf(
                    built.files().stream().map(VhdChainTest::real).toList());
            assertThat(chain.base().diskType()).isEqualTo(VhdDiskType.DYNAMIC);
            assertThat(chain.warnings()).isEmpty();
            assertThat(read(chain.top())).isEqualTo(built.expected());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {512 << 10, 2 << 20})
    void coalescesATwoLevelChainIntoItsBase(long blockSize) throws Exception {
        var built = chain(dir, blockSize, 2, 6 * MIB, 6 * MIB);

        Path result = VhdChain.coalesceChain(built.top());

        assertThat(result).isEqualTo(real(built.base()));
        try (VhdFile base = VhdFile.open(result)) {
            assertThat(base.diskType()).isEqualTo(VhdDiskType.DYNAMIC);
            assertThat(read(base)).isEqualTo(built.expected());
        }
        assertQemuReads(result, built.expected());
        assertAcceptedByTheValidatorAndQemu(result, 6L * MIB);
        assertThat(readChain(built.top())).as("the old top still shows the same").isEqualTo(built.expected());
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void coalescesAFiveLevelChainWithMixedBlockSizes() throws Exception {
        var built = chain(dir, 512 * KIB, 3, 5 * MIB, 5 * MIB, 5 * MIB, 5 * MIB, 5 * MIB);

        Path result = VhdChain.coalesceChain(built.top());

        assertQemuReads(result, built.expected());
        assertAcceptedByTheValidatorAndQemu(result, 5L * MIB);
    }

    @Test
    void growsTheBaseWhenAChildIsLarger() throws Exception {
        var built = chain(dir, 2 * MIB, 4, 3 * MIB, 3 * MIB, 7 * MIB);
        assertThat(built.expected()).hasSize(7 * MIB);

        Path result = VhdChain.coalesceChain(built.top());

        assertQemuReads(result, built.expected());
        assertAcceptedByTheValidatorAndQemu(result, 7L * MIB);
    }

    @Test
    void coalescesAChainOverAFixedBaseIntoADynamicOne() throws Exception {
        Path base = dir.resolve("fixed.vhd");
        VhdTestImages.run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on",
                base.toString(), "3M");
        byte[] expected = new byte[3 * MIB];
        java.util.Random random = new java.util.Random(17);
        try (VhdFile vhd = VhdFile.openForWriting(base)) {
            VhdChainImages.scribble(vhd, expected, random);
        }
        Path top = dir.resolve("top.vhd");
        try (VhdFile parent = VhdFile.open(base); VhdFile child = VhdFile.createDifferencing(top, parent)) {
            VhdChainImages.scribble(child, expected, random);
        }

        Path result = VhdChain.coalesceChain(top);

        try (VhdFile merged = VhdFile.open(result)) {
            assertThat(merged.diskType()).isEqualTo(VhdDiskType.DYNAMIC);
        }
        assertQemuReads(result, expected);
        assertAcceptedByTheValidatorAndQemu(result, 3L * MIB);
    }

    @Test
    void coalescesAChildIntoADifferencingParentWhichKeepsItsIdentity() throws Exception {
        var built = chain(dir, 512 * KIB, 5, 4 * MIB, 4 * MIB, 4 * MIB);
        Path middle = built.files().get(1);
        java.util.UUID before;
        try (VhdFile file = VhdFile.open(middle)) {
            before = file.uniqueId();
        }

        VhdChain.coalesce(built.top());

        try (VhdChain chain = VhdChain.open(middle)) {
            assertThat(chain.top().uniqueId()).isEqualTo(before);
            assertThat(chain.top().diskType()).isEqualTo(VhdDiskType.DIFFERENCING);
            assertThat(read(chain.top())).isEqualTo(built.expected());
        }
        assertThat(readChain(built.top())).isEqualTo(built.expected());
    }

    @Test
    void coalescingIntoANewFileLeavesTheChainUntouched() throws Exception {
        var built = chain(dir, 2 * MIB, 6, 4 * MIB, 4 * MIB, 4 * MIB);
        List<byte[]> before = snapshot(built.files());
        Path output = dir.resolve("out.vhd");

        VhdChain.coalesceInto(built.top(), output);

        assertThat(snapshot(built.files())).containsExactlyElementsOf(before);
        assertQemuReads(output, built.expected());
        assertAcceptedByTheValidatorAndQemu(output, 4L * MIB);
        assertThatThrownBy(() -> VhdChain.coalesceInto(built.top(), output)).isInstanceOf(VhdException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    void fixChainReconnectsFilesRenamedToXenServerNames() throws Exception {
        Path built = Files.createDirectories(dir.resolve("built"));
        var made = chain(built, 512 * KIB, 7, 4 * MIB, 4 * MIB, 4 * MIB);
        Path xen = Files.createDirectories(dir.resolve("xen"));
        for (int i = 0; i < made.files().size(); i++) {
            Files.move(made.files().get(i), xen.resolve(i + ".vhd"));
        }
        List<Path> discovered = VhdChain.discover(xen);
        assertThatThrownBy(() -> VhdChain.open(discovered.get(0))).isInstanceOf(VhdChainException.class);

        VhdChain.fixChain(discovered);

        assertThat(readChain(discovered.get(0))).isEqualTo(made.expected());
        try (VhdFile top = VhdFile.open(discovered.get(0))) {
            assertThat(top.parentName()).contains("1.vhd");
            assertThat(top.parentLocators()).extracting(VhdFile.ParentLocator::path)
                    .contains(".\\1.vhd", xen.resolve("1.vhd").toAbsolutePath().toString());
        }
    }

    @Test
    void reportsAChangedParentTimestampAsAWarningOnly() throws Exception {
        var built = chain(dir, 512 * KIB, 8, 2 * MIB, 2 * MIB);
        Files.setLastModifiedTime(built.base(), FileTime.fromMillis(1_000_000_000_000L));

        try (VhdChain chain = VhdChain.open(built.top())) {
            assertThat(chain.warnings()).singleElement().asString().contains("modification time");
            assertThat(read(chain.top())).isEqualTo(built.expected());
        }
    }

    @Test
    void refusesAParentThatIsItsOwnDescendant() throws Exception {
        var built = chain(dir, 512 * KIB, 9, 2 * MIB, 2 * MIB, 2 * MIB);
        VhdChain.setParent(built.files().get(1), built.top());

        assertChainRefused(built.top(), VhdChainException.Reason.LOOP);
    }

    @Test
    void refusesAMissingParent() throws Exception {
        var built = chain(dir, 512 * KIB, 10, 2 * MIB, 2 * MIB);
        Files.delete(built.base());

        assertChainRefused(built.top(), VhdChainException.Reason.MISSING_PARENT);
    }

    @Test
    void refusesAParentWithAnotherUniqueIdNamingBothFiles() throws Exception {
        var built = chain(dir, 512 * KIB, 11, 2 * MIB, 2 * MIB);
        Path other = VhdTestImages.create(dir, "other.vhd", "dynamic", "on", "2M");
        Files.move(other, built.base(), StandardCopyOption.REPLACE_EXISTING);

        VhdChainException e = assertChainRefused(built.top(), VhdChainException.Reason.UUID_MISMATCH);
        assertThat(e).hasMessageContaining(built.top().toString()).hasMessageContaining(real(built.base()).toString());
        assertThatThrownBy(() -> VhdChain.coalesceChain(built.top())).isInstanceOf(VhdChainException.class);
    }

    @Test
    void refusesLocatorsClimbingOutOfTheDirectoryUnlessAllowed() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path inside = Files.createDirectories(dir.resolve("inside"));
        var built = chain(outside, 512 * KIB, 12, 2 * MIB, 2 * MIB);
        Path child = inside.resolve("child.vhd");
        Files.move(built.top(), child);
        VhdChain.setParent(child, built.base());

        assertChainRefused(child, VhdChainException.Reason.OUTSIDE_DIRECTORY);
        try (VhdChain chain = VhdChain.open(child, VhdChainOptions.defaults().withOutsideDirectoryAllowed(true))) {
            assertThat(read(chain.top())).isEqualTo(built.expected());
        }
    }

    @Test
    void refusesASymbolicLinkLeavingTheDirectory() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path inside = Files.createDirectories(dir.resolve("inside"));
        var built = chain(outside, 512 * KIB, 13, 2 * MIB, 2 * MIB);
        Path child = inside.resolve("child.vhd");
        Files.move(built.top(), child);
        Path link = Files.createSymbolicLink(inside.resolve("level0.vhd"), built.base());
        VhdChain.setParent(child, link);

        assertChainRefused(child, VhdChainException.Reason.OUTSIDE_DIRECTORY);
    }

    @Test
    void refusesANewParentWhosePathDoesNotFitAndChangesNothing() throws Exception {
        var built = chain(dir, 512 * KIB, 14, 2 * MIB, 2 * MIB);
        Path deep = dir;
        for (int i = 0; i < 3; i++) {
            deep = deep.resolve("d".repeat(100));
        }
        Files.createDirectories(deep);
        Path far = Files.copy(built.base(), deep.resolve("base.vhd"));
        List<byte[]> before = snapshot(built.files());

        assertRefused(() -> VhdChain.setParent(built.top(), far), VhdChainException.Reason.LOCATOR_TOO_LONG);
        assertThat(snapshot(built.files())).containsExactlyElementsOf(before);
        assertThat(Files.exists(ParentRewrite.undoPath(built.top()))).isFalse();
    }

    @Test
    void refusesToSetTheParentOfADynamicDisk() throws Exception {
        var built = chain(dir, 512 * KIB, 15, 2 * MIB, 2 * MIB);

        assertRefused(() -> VhdChain.setParent(built.base(), built.top()), VhdChainException.Reason.NOT_A_CHAIN);
        assertThatThrownBy(() -> VhdChain.coalesce(built.base())).isInstanceOf(VhdChainException.class);
    }

    @Test
    void refusesAChainDeeperThanTheLimit() throws Exception {
        var built = chain(dir, 512 * KIB, 16, 2 * MIB, 2 * MIB, 2 * MIB);

        assertRefused(() -> VhdChain.open(built.top(), new VhdChainOptions(false, 2)),
                VhdChainException.Reason.TOO_DEEP);
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            VhdChainException.Reason reason) {
        assertThatThrownBy(call).isInstanceOf(VhdChainException.class)
                .extracting(e -> ((VhdChainException) e).reason()).isEqualTo(reason);
    }

    private VhdChainException assertChainRefused(Path top, VhdChainException.Reason reason) throws Exception {
        List<Path> files;
        try (Stream<Path> listed = Files.list(top.getParent())) {
            files = listed.filter(Files::isRegularFile).toList();
        }
        List<byte[]> before = snapshot(files);
        VhdChainException refused = null;
        try {
            VhdChain.open(top).close();
        } catch (VhdChainException e) {
            refused = e;
        }
        assertThat(refused).as("open refused").isNotNull();
        assertThat(refused.reason()).as(refused.getMessage()).isEqualTo(reason);
        assertThatThrownBy(() -> VhdChain.coalesceChain(top)).isInstanceOf(VhdChainException.class);
        assertThat(snapshot(files)).containsExactlyElementsOf(before);
        return refused;
    }

    private List<Path> leftovers() throws Exception {
        try (Stream<Path> listed = Files.list(dir)) {
            return listed.filter(p -> p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
