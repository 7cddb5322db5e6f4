using System.CommandLine;
using VisRL.Cli.Infrastructure;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl stack up|down|status`: the local RabbitMQ, PostgreSQL and Azurite (infra/stack.sh);
/// `visrl stack scale|services`: the workflow services as local processes beside it (infra/services.sh).
/// </summary>
internal static class StackCommand
{
    public static Command Create()
    {
        var withServices = new Option<bool>("--services") { Description = "Also start one replica of each workflow service (infra/services.sh up)." };
        var up = new Command("up", "Install what is missing, then start RabbitMQ, PostgreSQL and Azurite on 127.0.0.1 (twice is harmless).") { withServices };
        up.SetAction(async (parse, ct) =>
        {
            var code = await UpAsync(ct);
            return code != 0 || !parse.GetValue(withServices) ? code : await Scripts.RunAsync("infra/services.sh", ["up"], ct);
        });

        var down = new Command("down", "Stop the workflow services started here, then the local stack; nothing is left listening.");
        down.SetAction(async (_, ct) =>
        {
            await Scripts.RunAsync("infra/services.sh", ["down"], ct);
            return await Scripts.RunAsync("infra/stack.sh", ["down"], ct);
        });

        var status = new Command("status", "Show which servers of the local stack run, and where.");
        status.SetAction(async (_, ct) => await Scripts.RunAsync("infra/stack.sh", ["status"], ct));

        var counts = new Argument<string[]>("counts") { Description = "NAME=N … with NAME orchestrator, sampler, critic, filter or trainer (e.g. sampler=2 critic=2).", Arity = ArgumentArity.OneOrMore };
        counts.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Select(t => t.Value))
                if (token.Split('=') is not [var name, var n] || !new[] { "orchestrator", "sampler", "critic", "filter", "trainer" }.Contains(name) || !int.TryParse(n, out var c) || c < 0)
                    result.AddError($"'{token}': expected NAME=N with NAME orchestrator, sampler, critic, filter or trainer and N ≥ 0");
        });
        var scale = new Command("scale", "Start or stop local replicas of the workflow services to reach the given counts (infra/services.sh scale).") { counts };
        scale.SetAction(async (parse, ct) => await Scripts.RunAsync("infra/services.sh", ["scale", .. parse.GetValue(counts)!], ct));

        var services = new Command("services", "List the local replicas of the workflow services with PID and alive/dead (infra/services.sh status).");
        services.SetAction(async (_, ct) => await Scripts.RunAsync("infra/services.sh", ["status"], ct));

        return new Command("stack", "The local stack of real servers, and the workflow services beside it, without Docker.") { up, down, status, scale, services };
    }

    public static async Task<int> UpAsync(CancellationToken cancellationToken)
    {
        var installed = await Scripts.RunAsync("infra/install.sh", [], cancellationToken);
        return installed != 0 ? installed : await Scripts.RunAsync("infra/stack.sh", ["up"], cancellationToken);
    }
}
