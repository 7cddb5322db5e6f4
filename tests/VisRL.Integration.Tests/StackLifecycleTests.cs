using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VisRL.Integration.Tests;

/// <summary>infra/stack.sh on its own ports: up twice is harmless, down leaves nothing listening,
/// and a service whose broker is that stopped stack fails fast naming host and port.</summary>
[Collection(StackCollection.Name)]
public class StackLifecycleTests(TestStack stack)
{
    private const int Offset = 10; // beside the test stack
    private static readonly Dictionary<string, string> Variables = TestStack.StackVariables("lifecycle", Offset);

    [Fact]
    public async Task UpTwiceThenDownLeavesNothingListeningAndServicesFailFast()
    {
        var ports = Variables.Where(v => v.Key.EndsWith("_PORT", StringComparison.Ordinal) && v.Key != "VISRL_RABBITMQ_DIST_PORT")
            .Select(v => int.Parse(v.Value)).ToList();
        try
        {
            var first = await TestStack.RunScriptAsync("infra/stack.sh", ["up"], Variables, TimeSpan.FromMinutes(3));
            Assert.True(first.ExitCode == 0, first.Output);
            Assert.All(ports, port => Assert.True(Listening(port), $"nothing listens on {port} after up:\n{first.Output}"));

            var clock = Stopwatch.StartNew();
            var second = await TestStack.RunScriptAsync("infra/stack.sh", ["up"], Variables, TimeSpan.FromMinutes(1));
            Assert.True(second.ExitCode == 0, second.Output);
            Assert.Contains("already up", second.Output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"second up took {clock.Elapsed}");

            var status = await TestStack.RunScriptAsync("infra/stack.sh", ["status"], Variables, TimeSpan.FromSeconds(30));
            Assert.Equal(0, status.ExitCode);
        }
        finally
        {
            var down = await TestStack.RunScriptAsync("infra/stack.sh", ["down"], Variables, TimeSpan.FromMinutes(2));
            Assert.True(down.ExitCode == 0, down.Output);
        }
        Assert.All(ports, port => Assert.False(Listening(port), $"port {port} still listens after down"));
        Assert.False(Listening(TestStack.DistPort + Offset));

        var after = await TestStack.RunScriptAsync("infra/stack.sh", ["status"], Variables, TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, after.ExitCode);

        // The broker of that stack is now stopped: a service pointed at it stops with its address.
        var environment = stack.ServiceEnvironment();
        environment["VISRL__MESSAGING__PORT"] = Variables["VISRL_RABBITMQ_PORT"];
        var clockFail = Stopwatch.StartNew();
        var (exitCode, output) = await ChildProcess.RunAsync(
            ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Orchestrator", "VisRL.Orchestrator"), environment), TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains($"RabbitMQ broker at 127.0.0.1:{Variables["VISRL_RABBITMQ_PORT"]} is unreachable", output);
        Assert.Contains("VISRL__MESSAGING__PORT", output);
        Assert.True(clockFail.Elapsed < TimeSpan.FromSeconds(40), $"failing took {clockFail.Elapsed}");
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>infra/stack.sh down with servers that will not stop; no stack runs for it.</summary>
public class StackDownTests
{
    /// <summary>
    /// A server that will not stop (here: a stranger holding its port) fails `down` by name, and the
    /// servers after it in the list are still stopped: each port is waited on, and both failures named.
    /// </summary>
    [Fact]
    public async Task DownStopsEveryServerAndNamesEachThatWouldNot()
    {
        var variables = TestStack.StackVariables("stubborn", 20); // nothing of this stack runs
        int rabbitPort = int.Parse(variables["VISRL_RABBITMQ_PORT"]), postgresPort = int.Parse(variables["VISRL_POSTGRES_PORT"]);
        var strangers = new[] { rabbitPort, postgresPort }.Select(port => new TcpListener(IPAddress.Loopback, port)).ToList();
        strangers.ForEach(s => s.Start());
        try
        {
            var clock = Stopwatch.StartNew();
            var down = await TestStack.RunScriptAsync("infra/stack.sh", ["down"], variables, TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, down.ExitCode);
            Assert.Contains($"rabbitmq still listens on 127.0.0.1:{rabbitPort}", down.Output);
            Assert.Contains($"postgres still listens on 127.0.0.1:{postgresPort}", down.Output);
            Assert.Contains("not stopped: rabbitmq postgres", down.Output);
            // Side by side: both 20 s waits together, not one after the other.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(35), $"down took {clock.Elapsed}");
        }
        finally
        {
            strangers.ForEach(s => s.Stop());
        }
    }
}
