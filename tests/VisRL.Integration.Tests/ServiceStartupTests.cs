namespace VisRL.Integration.Tests;

/// <summary>A service that cannot work stops at once, with one line that names what to fix.</summary>
[Collection(StackCollection.Name)]
public class ServiceStartupTests(TestStack stack)
{
    private static readonly string Orchestrator = ChildProcess.ProjectDll("VisRL.Orchestrator", "VisRL.Orchestrator");

    [Fact]
    public async Task AnUnknownVisRLVariableStopsStartupNamingIt()
    {
        var environment = stack.ServiceEnvironment();
        environment["VISRL__MESSAGING__HOSTNAME"] = "typo";
        var (exitCode, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(Orchestrator, environment), TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains("Unknown setting VISRL__MESSAGING__HOSTNAME", output);
        Assert.DoesNotContain("   at ", output); // one clear line, no stack trace
    }

    [Fact]
    public async Task AMissingRequiredSettingStopsStartupNamingIt()
    {
        var environment = stack.ServiceEnvironment();
        environment["VISRL__MESSAGING__USERNAME"] = "";
        var (exitCode, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(Orchestrator, environment), TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains("VISRL__MESSAGING__USERNAME", output);
        Assert.Contains("required", output);
    }
}
