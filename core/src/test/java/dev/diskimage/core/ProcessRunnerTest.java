package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {
    private final ProcessRunner runner = ProcessRunner.create();

    @TempDir
    Path dir;

    static Path script(Path dir, String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private ProcessResult run(List<String> command) {
        return runner.run(ProcessRequest.builder(command).timeout(Duration.ofSeconds(30)).build());
    }

    @Test
    void argumentsWithSpacesQuotesAndShellCharactersArriveIntact() {
        List<String> args = List.of("a b", "  leading and trailing  ", "it's", "\"quoted\" word", "$HOME", "*", "back\\slash", "");
        List<String> command = new java.util.ArrayList<>(List.of("printf", "[%s]\\n"));
        command.addAll(args);

        ProcessResult result = run(command);

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout().lines()).containsExactly(
                "[a b]", "[  leading and trailing  ]", "[it's]", "[\"quoted\" word]", "[$HOME]", "[*]", "[back\\slash]", "[]");
    }

    @Test
    void programPathWithSpacesAndQuotesRuns() throws IOException {
        Path odd = Files.createDirectories(dir.resolve("my 'odd\" dir"));
        Path echo = script(odd, "say it", "printf '%s' \"$1\"");

        ProcessResult result = run(List.of(echo.toString(), " spaced arg "));

        assertThat(result.stdout()).isEqualTo(" spaced arg ");
    }

    @Test
    void timeoutKillsAHungProgramAndReportsTimedOut() throws IOException {
        Path hang = script(dir, "hang", "exec sleep 60");
        long start = System.nanoTime();

        ProcessResult result = runner.run(ProcessRequest.builder(List.of(hang.toString()))
                .timeout(Duration.ofMillis(500)).build());

        assertThat(result.timedOut()).isTrue();
        assertThat(result.succeeded()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void timeoutReturnsEvenWhenAGrandchildKeepsTheOutputPipeOpen() throws IOException {
        // The shell is killed, but its sleeping child inherits stdout and keeps the pipe open.
        Path hang = script(dir, "hang-with-child", "echo started\nsleep 60\necho never");
        long start = System.nanoTime();

        ProcessResult result = runner.run(ProcessRequest.builder(List.of(hang.toString()))
                .timeout(Duration.ofMillis(500)).build());

        assertThat(result.timedOut()).isTrue();
        assertThat(result.stdout()).doesNotContain("never");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void timeoutEscalatesToSigkillWhenTheProgramIgnoresSigterm() throws IOException {
        // The script ignores SIGTERM, and so does its sleep, which inherits the ignored signal.
        Path pidFile = dir.resolve("stubborn-child.pid");
        Path stubborn = script(dir, "ignores-term", "trap '' TERM\necho waiting\nsleep 60 &\necho $! > '"
                + pidFile + "'\nwait\necho never");
        long start = System.nanoTime();

        ProcessResult result = runner.run(ProcessRequest.builder(List.of(stubborn.toString()))
                .timeout(Duration.ofMillis(500)).build());

        assertThat(result.timedOut()).isTrue();
        // 128 + SIGKILL: only the escalation can have ended it
        assertThat(result.exitCode()).isEqualTo(128 + 9);
        assertThat(result.stdout()).isEqualTo("waiting\n");
        // timeout + SIGTERM grace; the sleep was killed too, so no pump had to wait for it
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        // The child that ignored SIGTERM is no orphan left running: it got SIGKILL as well.
        Optional<ProcessHandle> child = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()));
        child.ifPresent(handle -> handle.onExit().completeOnTimeout(handle, 5, TimeUnit.SECONDS).join());
        assertThat(child.filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void normalExitReturnsPromptlyWhileABackgroundGrandchildHoldsThePipes() throws IOException {
        Path leaving = script(dir, "leaves-child", "echo result\necho warning >&2\nsleep 30 &\nexit 3");
        long start = System.nanoTime();

        ProcessResult result = runner.run(ProcessRequest.builder(List.of(leaving.toString()))
                .timeout(Duration.ofSeconds(60)).build());

        assertThat(result.timedOut()).isFalse();
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("result\n");
        assertThat(result.stderrTail()).isEqualTo("warning\n");
        // Commons Exec's pump stop floor (2 s + our 0.5 s, per pipe), far from the sleep's 30 s
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void cpuLimitStopsABusyLoop() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("sh", "-c", "while :; do :; done"))
                .limits(new ProcessLimits(1, 1L << 30))
                .timeout(Duration.ofSeconds(30))
                .build());

        assertThat(result.timedOut()).isFalse();
        // 128 + SIGXCPU (24), or 128 + SIGKILL (9) once the hard limit is reached
        assertThat(result.exitCode()).isIn(128 + 24, 128 + 9);
        assertThat(result.command()).startsWith("prlimit", "--cpu=1", "--as=1073741824", "--");
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void addressSpaceLimitMakesALargeAllocationFail() {
        List<String> allocate = List.of("/usr/bin/python3", "-c", "bytearray(512 << 20)");

        ProcessResult limited = runner.run(ProcessRequest.builder(allocate)
                .limits(new ProcessLimits(30, 256L << 20)).timeout(Duration.ofSeconds(30)).build());
        ProcessResult unlimited = runner.run(ProcessRequest.builder(allocate).timeout(Duration.ofSeconds(30)).build());

        assertThat(limited.exitCode()).isNotZero();
        assertThat(limited.stderrTail()).contains("MemoryError");
        assertThat(unlimited.exitCode()).isZero();
    }

    @Test
    void limitsAreVisibleToTheChild() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("sh", "-c", "ulimit -t; ulimit -v"))
                .limits(new ProcessLimits(7, 512L << 20)).build());

        assertThat(result.stdout().lines()).containsExactly("7", Long.toString((512L << 20) / 1024));
    }

    @Test
    void nonZeroExitIsReportedNotThrown() {
        ProcessResult result = run(List.of("sh", "-c", "echo oops >&2; exit 7"));

        assertThat(result.exitCode()).isEqualTo(7);
        assertThat(result.succeeded()).isFalse();
        assertThat(result.timedOut()).isFalse();
        assertThat(result.stderrTail()).isEqualTo("oops\n");
    }

    @Test
    void stdinBytesReachTheProgram() {
        byte[] input = "line one\nline two\n".getBytes(StandardCharsets.UTF_8);

        ProcessResult result = runner.run(ProcessRequest.builder(List.of("cat")).stdin(input).build());

        assertThat(result.stdout()).isEqualTo("line one\nline two\n");
    }

    @Test
    void stdinIsClosedWhenNoneIsGiven() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("cat"))
                .timeout(Duration.ofSeconds(10)).build());

        assertThat(result.timedOut()).isFalse();
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void lineListenerSplitsOnCarriageReturnAndNewline() {
        List<String> lines = new CopyOnWriteArrayList<>();

        runner.run(ProcessRequest.builder(List.of("printf", "    (0.00/100%%)\\r    (50.00/100%%)\\r\\nlast"))
                .onStdoutLine(lines::add).build());

        assertThat(lines).containsExactly("    (0.00/100%)", "    (50.00/100%)", "last");
    }

    @Test
    void stdoutIsCappedAndMarkedTruncated() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("head", "-c", "100000", "/dev/zero"))
                .maxStdout(1000).build());

        assertThat(result.stdout()).hasSize(1000);
        assertThat(result.stdoutTruncated()).isTrue();
    }

    @Test
    void stderrKeepsItsTail() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("sh", "-c",
                        "i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done"))
                .maxStderr(100).build());

        assertThat(result.stderrTail()).hasSize(100).endsWith("line1998\nline1999\n");
    }

    @Test
    void childRunsWithCLocale() {
        ProcessResult result = run(List.of("sh", "-c", "echo $LC_ALL"));

        assertThat(result.stdout()).isEqualTo("C\n");
    }

    @Test
    void requestEnvironmentReachesTheChildAndOverridesInheritedVariables() {
        ProcessResult result = runner.run(ProcessRequest.builder(List.of("sh", "-c", "echo \"$DISKIMAGE_X|$HOME|$LC_ALL\""))
                .environment("DISKIMAGE_X", "a b").environment("HOME", "/nowhere").environment("LC_ALL", "POSIX")
                .build());

        assertThat(result.stdout()).isEqualTo("a b|/nowhere|POSIX\n");
    }

    @Test
    void resultNamesTheCommandThatRanAndItsDuration() {
        ProcessResult result = run(List.of("sh", "-c", "sleep 0.2"));

        assertThat(result.command()).containsExactly("sh", "-c", "sleep 0.2");
        assertThat(result.succeeded()).isTrue();
        assertThat(result.duration()).isBetween(Duration.ofMillis(200), Duration.ofSeconds(10));
    }

    @Test
    void missingProgramIsAnImageException() {
        assertThatThrownBy(() -> run(List.of(dir.resolve("no-such-program").toString())))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("no-such-program");
    }

    @Test
    void rejectsNonPositiveLimits() {
        assertThatThrownBy(() -> new ProcessLimits(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProcessLimits(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
