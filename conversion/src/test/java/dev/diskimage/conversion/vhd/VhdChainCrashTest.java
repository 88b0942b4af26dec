package dev.diskimage.conversion.vhd;

import static dev.diskimage.conversion.vhd.VhdChainImages.KIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.MIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.chain;
import static dev.diskimage.conversion.vhd.VhdChainImages.read;
import static dev.diskimage.conversion.vhd.VhdChainImages.readChain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure after each step of a coalesce or a parent change: the chain reads back as before,
 * or the result is complete. (A thrown exception stands in for a kill here; the it-test kills a
 * real process.)
 */
class VhdChainCrashTest {

    /** Thrown by the step hooks. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(String step) {
            super("crash after " + step);
        }
    }

    @TempDir
    Path dir;

    @AfterEach
    void resetHooks() {
        Coalescing.steps = step -> { };
        ParentRewrite.steps = step -> { };
    }

    @ParameterizedTest
    @ValueSource(strings = {"created", "copied", "synced", "renamed"})
    void aCoalesceStoppedAtAnyStepLeavesTheChainOrTheFinishedResult(String crashAt) throws Exception {
        var built = chain(dir, 512 * KIB, 20, 3 * MIB, 3 * MIB, 3 * MIB);
        byte[] baseBefore = Files.readAllBytes(built.base());
        Coalescing.steps = step -> {
            if (step.equals(crashAt)) {
                throw new Crash(step);
            }
        };

        assertThatThrownBy(() -> VhdChain.coalesceChain(built.top())).isInstanceOf(Crash.class);
        Coalescing.steps = step -> { };

        assertThat(readChain(built.top())).isEqualTo(built.expected());
        byte[] baseAfter = Files.readAllBytes(built.base());
        if (crashAt.equals("renamed")) {
            try (VhdFile base = VhdFile.open(built.base())) {
                assertThat(read(base)).as("the finished result").isEqualTo(built.expected());
            }
        } else {
            assertThat(baseAfter).as("the untouched base").isEqualTo(baseBefore);
        }
        assertThat(hidden()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"undo-written", "region-0-written", "region-1-written", "region-2-written"})
    void aParentChangeStoppedAtAnyStepIsRolledBackWhenTheChainIsOpened(String crashAt) throws Exception {
        var built = chain(dir, 512 * KIB, 21, 2 * MIB, 2 * MIB);
        Path copy = Files.copy(built.base(), dir.resolve("copy.vhd"));
        byte[] childBefore = Files.readAllBytes(built.top());
        ParentRewrite.steps = step -> {
            if (step.equals(crashAt)) {
                throw new Crash(step);
            }
        };

        assertThatThrownBy(() -> VhdChain.setParent(built.top(), copy)).isInstanceOf(Crash.class);
        ParentRewrite.steps = step -> { };
        assertThat(ParentRewrite.undoPath(built.top())).exists();

        try (VhdChain chain = VhdChain.open(built.top())) {
            assertThat(chain.base().path()).isEqualTo(built.base().toRealPath());
            assertThat(read(chain.top())).isEqualTo(built.expected());
        }
        assertThat(Files.readAllBytes(built.top())).isEqualTo(childBefore);
        assertThat(hidden()).isEmpty();

        VhdChain.setParent(built.top(), copy);
        try (VhdChain chain = VhdChain.open(built.top())) {
            assertThat(chain.base().path()).isEqualTo(copy.toRealPath());
        }
    }

    @org.junit.jupiter.api.Test
    void theNextCoalesceRemovesTheSiblingOfAKilledOneButNotOfALiveOne() throws Exception {
        var built = chain(dir, 512 * KIB, 23, 2 * MIB, 2 * MIB);
        Path dead = Files.writeString(dir.resolve(".level0.vhd" + Coalescing.MARKER + "99999999-00000000000000ff"), "x");
        Path live = Files.writeString(dir.resolve(".level0.vhd" + Coalescing.MARKER + ProcessHandle.current().pid()
                + "-00000000000000ff"), "x");

        VhdChain.coalesceChain(built.top());

        assertThat(dead).doesNotExist();
        assertThat(live).exists();
        Files.delete(live);
        assertThat(readChain(built.top())).isEqualTo(built.expected());
    }

    @org.junit.jupiter.api.Test
    void anUndoFileNamingBytesBeyondTheFileOrALinkIsRefusedAndNothingIsWritten() throws Exception {
        var built = chain(dir, 512 * KIB, 24, 2 * MIB, 2 * MIB);
        byte[] childBefore = Files.readAllBytes(built.top());
        Path undo = ParentRewrite.undoPath(built.top());
        ParentRewrite.writeUndo(undo, List.of(new ParentRewrite.Region(childBefore.length - 100, new byte[512])));

        assertThatThrownBy(() -> VhdChain.open(built.top())).isInstanceOf(VhdException.class)
                .hasMessageContaining("beyond the end");
        assertThat(Files.readAllBytes(built.top())).isEqualTo(childBefore);

        Files.delete(undo);
        Files.createSymbolicLink(undo, built.base());
        assertThatThrownBy(() -> VhdChain.open(built.top())).isInstanceOf(VhdException.class)
                .hasMessageContaining("not a regular file");
        assertThat(Files.readAllBytes(built.top())).isEqualTo(childBefore);
        Files.delete(undo);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 10, 100})
    void aTornUndoFileIsDiscardedBecauseTheDiskWasNotTouchedYet(int length) throws Exception {
        var built = chain(dir, 512 * KIB, 22, 2 * MIB, 2 * MIB);
        byte[] childBefore = Files.readAllBytes(built.top());
        Files.write(ParentRewrite.undoPath(built.top()), new byte[length]);

        assertThat(readChain(built.top())).isEqualTo(built.expected());
        assertThat(Files.readAllBytes(built.top())).isEqualTo(childBefore);
        assertThat(hidden()).isEmpty();
    }

    private List<Path> hidden() throws Exception {
        try (Stream<Path> listed = Files.list(dir)) {
            return listed.filter(p -> p.getFileName().toString().startsWith(".")).toList();
        }
    }
}
