using VisRL.Platform.Diagnostics;

namespace VisRL.Platform.Tests;

public class ProcessCpuTests
{
    [Fact]
    public void ParseTicks_AddsUserAndSystemTime_EvenWhenTheCommandNameHoldsSpacesAndParentheses()
    {
        // proc(5): pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        const string stat = "4242 (Sampler (1) x) S 1 4242 4242 0 -1 4194560 9000 0 12 0 731 269 0 0 20 0 24 0 5000 1 2";

        Assert.Equal(1000, ProcessCpu.ParseTicks(stat));
        Assert.Null(ProcessCpu.ParseTicks("4242 (truncated) S 1"));
        Assert.Null(ProcessCpu.ParseTicks("no parenthesis at all"));
    }

    [Theory]
    [InlineData("dotnet /repo/services/VisRL.Sampler/bin/Release/net10.0/VisRL.Sampler.dll ", "Sampler")]
    [InlineData("dotnet /repo/services/VisRL.Critic/bin/Release/net10.0/VisRL.Critic.dll ", "Critic")]
    [InlineData("dotnet /repo/services/VisRL.Orchestrator/bin/Release/net10.0/VisRL.Orchestrator.dll ", "Orchestrator")]
    [InlineData("/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -MBas ageffcbf -- -root /usr/lib/erlang ", "RabbitMQ")]
    [InlineData("/usr/lib/postgresql/15/bin/postgres -D /repo/.visrl/stack-bench/postgres ", "PostgreSQL")]
    [InlineData("postgres: visrl visrl_bench_0a1b 127.0.0.1(51234) idle ", "PostgreSQL")]
    [InlineData("node /repo/infra/azurite/node_modules/.bin/azurite-blob --blobPort 10030 ", "Azurite")]
    [InlineData("dotnet /repo/artifacts/cli/visrl.dll bench round ", ProcessCpu.Other)]
    [InlineData("", ProcessCpu.Other)]
    public void Component_NamesTheServiceOrServerACommandLineBelongsTo(string commandLine, string component) =>
        Assert.Equal(component, ProcessCpu.Component(commandLine));

    [Fact]
    public void Since_CountsTheWorkOfThisProcess()
    {
        var before = ProcessCpu.Take();
        var spin = System.Diagnostics.Stopwatch.StartNew();
        double sink = 0;
        while (spin.ElapsedMilliseconds < 300) sink += Math.Sqrt(sink + 1);

        var seconds = ProcessCpu.Take().Since(before);

        Assert.True(sink > 0);
        Assert.InRange(seconds[ProcessCpu.ThisProcess], 0.1, 5);
    }
}
