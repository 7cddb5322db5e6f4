using MassTransit;
using Microsoft.Extensions.Logging;

namespace VisRL.Platform.Messaging;

/// <summary>
/// How long-running work (a training job, an evaluation) announces its result once the work is done and recorded:
/// through the bus, not the consume context, and again after each failure until it is out.
/// </summary>
/// <remarks>
/// A broker cut with a publish in flight can leave the consume context's publishing on a channel of the lost
/// connection: each try waits 20 s for the channel and is cancelled, for good, while the bus's own publishing
/// reconnects (TrainerOutageTests' broker cut, 2 of 22 looped runs). Failing the consume instead would only retry it on the
/// same context, and after Messaging:RetryLimit send a finished job's command to the error queue, unannounced.
/// </remarks>
public static class Announcements
{
    /// <summary>A publish waits no longer: the RabbitMQ client can lose a confirm and wait forever (see LinkLossFilter).</summary>
    public static readonly TimeSpan PublishPatience = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(2);

    /// <summary>Publishes <paramref name="message"/> through <paramref name="bus"/>, trying again until it is out or <paramref name="stopping"/> fires.</summary>
    public static async Task AnnounceAsync<T>(this IBus bus, T message, ILogger logger, CancellationToken stopping) where T : class
    {
        while (true)
        {
            try
            {
                await bus.Publish(message, stopping).WaitAsync(PublishPatience, stopping);
                return;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogWarning("{Message} not published ({Reason}); tries again in {Pause} s", typeof(T).Name, e.Message, Pause.TotalSeconds);
                await Task.Delay(Pause, stopping);
            }
        }
    }
}
