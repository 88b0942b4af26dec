package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Feeds arbitrary locator texts of every platform to {@link ParentLocatorPaths#follow}, in a
 * directory with a subdirectory, a file outside it and links pointing out: with the default
 * (outside refused), whatever is found lies inside the child's directory.
 */
class ParentLocatorPathsFuzzTest {
    private static final String[] PLATFORMS = {"W2ru", "W2ku", "Wi2r", "Wi2k", "MacX", "Mac ", "\0\0\0\0"};
    private static final Path ROOT = setUp();
    private static final Path INSIDE = ROOT.resolve("inside");

    private static Path setUp() {
        try {
            Path root = Files.createTempDirectory("locator-fuzz").toRealPath();
            Path inside = Files.createDirectories(root.resolve("inside"));
            Files.createDirectories(inside.resolve("sub"));
            Files.writeString(inside.resolve("a.vhd"), "a");
            Files.writeString(inside.resolve("sub").resolve("b.vhd"), "b");
            Path outside = Files.createDirectories(root.resolve("outside"));
            Files.writeString(outside.resolve("c.vhd"), "c");
            Files.createSymbolicLink(inside.resolve("out.vhd"), outside.resolve("c.vhd"));
            Files.createSymbolicLink(inside.resolve("outdir"), outside);
            Files.createSymbolicLink(inside.resolve("in.vhd"), inside.resolve("a.vhd"));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void neverFindsAParentOutsideTheDirectory(FuzzedDataProvider data) {
        String platform = PLATFORMS[data.consumeInt(0, PLATFORMS.length - 1)];
        String text = data.consumeRemainingAsString();
        ParentLocatorPaths.Attempt attempt = ParentLocatorPaths.follow(INSIDE,
                new VhdFile.ParentLocator(0, platform, text), false);
        if (attempt.outcome() == ParentLocatorPaths.ParentLocatorPathsOutcome.FOUND) {
            assertThat(attempt.path()).startsWith(INSIDE);
            assertThat(Files.isRegularFile(attempt.path())).isTrue();
        }
    }
}
