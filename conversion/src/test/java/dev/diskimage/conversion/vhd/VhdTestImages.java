package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** VHD images made by the real qemu-img and qemu-io, and qemu-img's raw view of them: the tests' oracle. */
final class VhdTestImages {

    private VhdTestImages() {
    }

    /** {@code qemu-img create -f vpc -o subformat=...,force_size=...} of {@code size} in {@code dir}. */
    static Path create(Path dir, String name, String subformat, String forceSize, String size) throws Exception {
        Path image = dir.resolve(name);
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=" + subformat + ",force_size=" + forceSize,
                image.toString(), size);
        return image;
    }

    /** Runs qemu-io commands ({@code write -P 0xab OFFSET LEN}) on a VHD. */
    static void qemuIo(Path image, String... commands) throws Exception {
        List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "vpc"));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        command.add(image.toString());
        run(command.toArray(String[]::new));
    }

    /** What qemu-img reads from {@code image}: {@code qemu-img convert -f vpc -O raw} beside it. */
    static Path raw(Path image) throws Exception {
        Path raw = image.resolveSibling(image.getFileName() + ".raw");
        Files.deleteIfExists(raw);
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
        return raw;
    }

    /** Runs a program, requires exit 0, returns its output. */
    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }
}
