package dev.diskimage.conversion.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.conversion.archive.ArchiveRefusedException.Reason;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EntryNameTest {

    private static final EntryName.Refusal REFUSAL =
            (reason, detail) -> new ArchiveRefusedException(Path.of("a.tgz"), "entry", reason, detail, null);

    @Test
    void dropsCurrentDirectoryComponentsAndTrailingSlashes() {
        assertThat(EntryName.check("./a/./b/", REFUSAL).components()).containsExactly("a", "b");
        assertThat(EntryName.check("./", REFUSAL).isRoot()).isTrue();
        assertThat(EntryName.check("a/b", REFUSAL)).hasToString("a/b");
        assertThat(EntryName.check("a/b", REFUSAL).parent()).isEqualTo(new EntryName(List.of("a")));
        assertThat(EntryName.check(".", REFUSAL).parent().isRoot()).isTrue();
    }

    @Test
    void acceptsTheLongestComponentAndTheDeepestNesting() {
        assertThat(EntryName.check("c".repeat(EntryName.MAX_COMPONENT_BYTES), REFUSAL).components()).hasSize(1);
        assertThat(EntryName.check("d/".repeat(EntryName.MAX_DEPTH - 1) + "f", REFUSAL).components())
                .hasSize(EntryName.MAX_DEPTH);
        // Bytes, not characters: 128 two-byte characters are 256 bytes.
        assertRefused("\u00e9".repeat(128), Reason.NAME_NOT_PLAIN);
        assertRefused("c".repeat(EntryName.MAX_COMPONENT_BYTES + 1), Reason.NAME_NOT_PLAIN);
        assertRefused("d/".repeat(EntryName.MAX_DEPTH) + "f", Reason.NAME_NOT_PLAIN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\\x", "\uFFFDx", "x\\", "a\u0085b", "a\u2028b", "x\u200b"})
    void refusesNamesThatAreNotPlain(String name) {
        assertRefused(name, Reason.NAME_NOT_PLAIN);
    }

    @Test
    void tellsEscapingFromParentReferences() {
        assertRefused("..", Reason.ESCAPES_TARGET);
        assertRefused("./../x", Reason.ESCAPES_TARGET);
        assertRefused("a/b/../../../x", Reason.ESCAPES_TARGET);
        assertRefused("a/b/../../x", Reason.PARENT_REFERENCE);
        assertRefused("a/..", Reason.PARENT_REFERENCE);
        assertRefused("/", Reason.ABSOLUTE_PATH);
    }

    private static void assertRefused(String name, Reason reason) {
        assertThatThrownBy(() -> EntryName.check(name, REFUSAL)).as(name)
                .isInstanceOfSatisfying(ArchiveRefusedException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
