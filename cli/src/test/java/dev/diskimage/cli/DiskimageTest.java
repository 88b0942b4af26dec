package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskimageTest {
    @TempDir
    Path dir;

    static ImageCheckTest.Run diskimage(String... args) {
        return diskimage(InputStream.nullInputStream(), args);
    }

    static ImageCheckTest.Run diskimage(InputStream stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Diskimage.run(args, stdin, new PrintWriter(out, true), new PrintWriter(err, true));
        return new ImageCheckTest.Run(exit, out.toString(), err.toString());
    }

    private static String[] prepend(String first, String... rest) {
        List<String> args = new ArrayList<>(List.of(first));
        args.addAll(List.of(rest));
        return args.toArray(String[]::new);
    }

    private Path qcow2(String name, String... createOptions) throws IOException, InterruptedException {
        Path file = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        command.addAll(List.of(createOptions));
        command.addAll(List.of(file.toString(), "1M"));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
        assertThat(process.waitFor()).isZero();
        return file;
    }

    @Test
    void withoutACommandPrintsUsageOnStandardErrorAndExitsTwo() {
        ImageCheckTest.Run run = diskimage();

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("Usage: diskimage", "COMMAND", "check");
    }

    @Test
    void anUnknownCommandExitsTwoWithOneLineNamingIt() {
        ImageCheckTest.Run run = diskimage("frobnicate", "disk.qcow2");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains("unknown command 'frobnicate'", "check", "diskimage --help");
    }

    @Test
    void helpListsTheCommands() {
        ImageCheckTest.Run run = diskimage("--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("Commands:", "check", "Validates disk images");
    }

    @Test
    void aCommandLineNamingACommandBuildsOnlyThatOne() {
        var all = Diskimage.subcommands(InputStream.nullInputStream());

        assertThat(Diskimage.registered(new String[] {"convert", "a", "b"}, all)).containsOnlyKeys("convert");
        assertThat(Diskimage.registered(new String[] {"luks-dump"}, all)).containsOnlyKeys("luks-dump");
        assertThat(Diskimage.registered(new String[] {"--help"}, all)).isSameAs(all);
        assertThat(Diskimage.registered(new String[] {"frobnicate"}, all)).isSameAs(all);
        assertThat(Diskimage.registered(new String[0], all)).isSameAs(all);
    }

    @Test
    void everyCommandsHelpNamesItUnderDiskimage() {
        for (String command : Diskimage.subcommands(InputStream.nullInputStream()).keySet()) {
            ImageCheckTest.Run run = diskimage(command, "--help");

            assertThat(run.exit()).as(command).isZero();
            assertThat(run.out()).as(command).contains("Usage: diskimage " + command);
        }
    }

    @Test
    void everyCommandAndSubcommandPrintsTheVersion() {
        List<String[]> commands = new ArrayList<>();
        Diskimage.subcommands(InputStream.nullInputStream()).keySet().forEach(c -> commands.add(new String[] {c}));
        for (String vhd : List.of("info", "chain", "coalesce", "set-parent", "resize")) {
            commands.add(new String[] {"vhd", vhd});
        }
        for (String images : List.of("list", "show", "delete")) {
            commands.add(new String[] {"images", images});
        }
        // distro get has no --version switch: there --version is the distro's version
        commands.add(new String[] {"distro", "list"});
        commands.add(new String[] {"template", "get"});
        String version = diskimage("--version").out();
        assertThat(version).isNotBlank();
        for (String[] command : commands) {
            ImageCheckTest.Run run = diskimage(prepend(command[0], command.length > 1
                    ? new String[] {command[1], "--version"} : new String[] {"--version"}));

            assertThat(run.exit()).as(String.join(" ", command)).isZero();
            assertThat(run.out()).as(String.join(" ", command)).isEqualTo(version);
        }
    }

    @Test
    void versionWithoutAManifestSaysDevelopmentBuild() {
        // The tests run from target/classes: no jar, no manifest, no Implementation-Version.
        assertThat(diskimage("--version").out().strip()).isEqualTo("diskimage (development build)");
        assertThat(diskimage("check", "--version").out().strip()).isEqualTo("diskimage (development build)");
        assertThat(ImageCheckTest.run("--version").out().strip()).isEqualTo("diskimage (development build)");
        assertThat(diskimage("--version").exit()).isZero();
    }

    @Test
    void versionComesFromTheManifestWhenThereIsOne() {
        assertThat(ManifestVersion.text("1.2.3")).isEqualTo("diskimage 1.2.3");
        assertThat(ManifestVersion.text(" ")).isEqualTo("diskimage (development build)");
    }

    @Test
    void checkBehavesExactlyLikeImageCheck() throws Exception {
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, new byte[8192]);
        Path good = qcow2("good.qcow2");
        Files.write(dir.resolve("base.raw"), new byte[4096]);
        Path backed = qcow2("child.qcow2", "-b", "base.raw", "-F", "raw");
        List<String[]> cases = List.of(
                new String[] {raw.toString()},
                new String[] {good.toString()},
                new String[] {"--json", good.toString(), backed.toString()},
                new String[] {backed.toString()},
                new String[] {"--allow-backing-file", "--json", backed.toString()},
                new String[] {"--quiet", backed.toString()},
                new String[] {dir.resolve("missing.qcow2").toString(), raw.toString()},
                new String[] {"--format", "floppy", raw.toString()},
                new String[] {"--fromat", "qcow2", raw.toString()},
                new String[] {"@" + raw},
                new String[] {});
        for (String[] args : cases) {
            ImageCheckTest.Run imageCheck = ImageCheckTest.run(args);
            ImageCheckTest.Run check = diskimage(prepend("check", args));

            assertThat(check.exit()).as(String.join(" ", args)).isEqualTo(imageCheck.exit());
            assertThat(check.out().replace("diskimage check", "image-check"))
                    .as(String.join(" ", args)).isEqualTo(imageCheck.out());
            assertThat(check.err().replace("diskimage check", "image-check"))
                    .as(String.join(" ", args)).isEqualTo(imageCheck.err());
        }
    }

    @Test
    void checkHelpShowsTheOptionsOfImageCheck() {
        ImageCheckTest.Run check = diskimage("check", "--help");

        assertThat(check.exit()).isZero();
        assertThat(check.out()).startsWith("Usage: diskimage check ")
                .contains("--allow-backing-file", "--qemu-cross-check", "Exit codes:");
    }

    @Test
    void checkReadsStandardInputLikeImageCheck() throws Exception {
        byte[] image = Files.readAllBytes(qcow2("in.qcow2"));

        ImageCheckTest.Run check = diskimage(new ByteArrayInputStream(image), "check", "--json", "-");

        assertThat(check.exit()).isZero();
        assertThat(check.only().get("format").asText()).isEqualTo("qcow2");
        assertThat(check.out()).isEqualTo(
                ImageCheckTest.runWithInput(new ByteArrayInputStream(image), "--json", "-").out());
    }

    @Test
    void errorsOfTheCheckCommandNameTheCommandTyped() {
        ImageCheckTest.Run run = diskimage("check", "--fromat", "qcow2", "x");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("diskimage check: ").contains("Try 'diskimage check --help'");
    }
}
