package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ImageValidator;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's consumer example is real code: its one source, {@code consumer/ConsumerExample.java}
 * in this module's test resources, must be the README's code block word for word, must compile
 * against the jars (or classes) this build produced, and must answer as the README says when run
 * in a plain {@code java} process: exit 0 for a clean qcow2, exit 1 for one with a backing file.
 */
class ConsumerExampleIT {
    private static final Path ROOT = Path.of(System.getProperty("diskimage.root", "..")).toAbsolutePath().normalize();
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);

    @TempDir
    static Path dir;

    private static String source;
    private static Path classes;

    /** Exit code and output of one run of the example. */
    record Run(int exit, String out, String err) { }

    @BeforeAll
    static void compileExample() throws IOException {
        try (InputStream in = ConsumerExampleIT.class.getResourceAsStream("/consumer/ConsumerExample.java")) {
            assertThat(in).as("consumer/ConsumerExample.java on the test classpath").isNotNull();
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path sourceFile = dir.resolve("src/ConsumerExample.java");
        Files.createDirectories(sourceFile.getParent());
        Files.writeString(sourceFile, source);
        classes = Files.createDirectories(dir.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK's compiler (this runs on a JDK, not a JRE)").isNotNull();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "-Xlint:all,-path", "-Werror", "--release", "17",
                "-classpath", libraryClasspath(), "-d", classes.toString(), sourceFile.toString());
        assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();
    }

    /**
     * This test's own classpath: the diskimage modules this build just produced (jars after
     * {@code package}, class directories otherwise) and their dependencies. The example is
     * compiled and run against it, as a consumer's build would.
     */
    private static String libraryClasspath() {
        String classpath = System.getProperty("java.class.path");
        for (Class<?> api : List.of(ImageValidator.class, DiskFormat.class)) {
            String location = api.getProtectionDomain().getCodeSource().getLocation().getPath();
            assertThat(classpath).as("java.class.path holds the %s module", api.getSimpleName())
                    .contains(Path.of(location).toString());
        }
        return classpath;
    }

    @Test
    void theReadmeShowsExactlyTheCompiledExample() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> blocks = new ArrayList<>();
        Matcher matcher = JAVA_BLOCK.matcher(readme);
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }
        assertThat(blocks).as("the README's java code blocks").contains(source);
    }

    @Test
    void acceptsACleanQcow2() throws Exception {
        Path image = dir.resolve("clean.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", image.toString(), "64M");

        Run run = runExample(image);

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("accepted: 67108864 bytes\n");
    }

    @Test
    void refusesAQcow2WithABackingFile() throws Exception {
        Path base = dir.resolve("base.qcow2");
        Path overlay = dir.resolve("overlay.qcow2");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", base.toString(), "64M");
        ImageCheckEndToEndIT.qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.toString(),
                overlay.toString());

        Run run = runExample(overlay);

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).startsWith("QCOW2_BACKING_FILE: ");
    }

    /** Runs the compiled example in a child JVM of the same Java, on the library classpath. */
    private static Run runExample(Path image) throws IOException, InterruptedException {
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
        String classpath = classes + File.pathSeparator + libraryClasspath();
        Process process = new ProcessBuilder(launcher.toString(), "-cp", classpath, "ConsumerExample", image.toString())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), out, Files.readString(dir.resolve("stderr.txt")));
    }
}
