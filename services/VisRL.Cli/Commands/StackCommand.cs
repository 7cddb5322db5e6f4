using System.CommandLine;
using VisRL.Cli.Infrastructure;

namespace VisRL.Cli.Commands;

/// <summary>`visrl stack up|down|status`: the local RabbitMQ, PostgreSQL and Azurite (infra/stack.sh).</summary>
internal static class StackCommand
{
    public static Command Create()
    {
        var up = new Command("up", "Install what is missing, then start RabbitMQ, PostgreSQL and Azurite on 127.0.0.1 (twice is harmless).");
        up.SetAction(async (_, ct) => await UpAsync(ct));

        var down = new Command("down", "Stop the local stack; nothing is left listening.");
        down.SetAction(async (_, ct) => await Scripts.RunAsync("infra/stack.sh", ["down"], ct));

        var status = new Command("status", "Show which servers of the local stack run, and where.");
        status.SetAction(async (_, ct) => await Scripts.RunAsync("infra/stack.sh", ["status"], ct));

        return new Command("stack", "The local stack of real servers, without Docker.") { up, down, status };
    }

    public static async Task<int> UpAsync(CancellationToken cancellationToken)
    {
        var installed = await Scripts.RunAsync("infra/install.sh", [], cancellationToken);
        return installed != 0 ? installed : await Scripts.RunAsync("infra/stack.sh", ["up"], cancellationToken);
    }
}
