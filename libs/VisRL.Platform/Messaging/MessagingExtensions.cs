using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ (in-memory when Messaging:Transport is InMemory, for unit tests).
    /// Queues are named "{service}-{consumer}", so replicas of one service compete for work while
    /// different services each get their own copy of an event. Failed consumes are retried with
    /// exponential back-off, then moved to the queue's _error queue, which is kept; a consume that
    /// failed because PostgreSQL or blob storage is out of reach is tried again until they are back
    /// (up to Messaging:OutagePatienceSeconds).
    /// </summary>
    public static IHostApplicationBuilder AddVisRLMessaging(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? addConsumers = null)
    {
        var services = builder.Services;
        var messaging = builder.Configuration.GetVisRLSettings<MessagingOptions>();
        var service = builder.Configuration.GetVisRLSettings<ServiceOptions>();
        services.AddVisRLSettings<MessagingOptions>(builder.Configuration);
        services.AddVisRLSettings<ServiceOptions>(builder.Configuration);

        if (messaging.Transport == MessagingTransport.RabbitMq)
        {
            services.AddStartupDependency(_ => BrokerEndpoint(messaging));
            if (messaging.SelfCheckSeconds > 0)
            {
                services.AddSingleton<BusSelfCheck>().AddHostedService<BusWatchdog>();
                services.AddHealthChecks().AddCheck<BusSelfCheck>(BusSelfCheck.Name, tags: ["ready"]);
            }
        }

        // A started host has its queues bound: nothing published right after start is lost.
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(messaging.StartupTimeoutSeconds * 3);
        });
        services.AddReceiveEndpointObserver<BrokerLinkObserver>();
        services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(EndpointNames(service.Name));
            // Services run without internet access: the usage report would only log a failure at every start.
            bus.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
            bus.AddConsumer<PingConsumer>();
            addConsumers?.Invoke(bus);

            if (messaging.Transport == MessagingTransport.InMemory)
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    ApplyPolicy(cfg, messaging, context);
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }

            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(messaging.Host, (ushort)messaging.Port, messaging.VirtualHost, h =>
                {
                    h.Username(messaging.Username);
                    h.Password(messaging.Password);
                    h.RequestedConnectionTimeout(TimeSpan.FromSeconds(messaging.StartupTimeoutSeconds));
                    h.Heartbeat((ushort)messaging.HeartbeatSeconds);
                });
                cfg.PrefetchCount = messaging.PrefetchCount;
                // A command no queue takes comes back (MessageReturnedException) instead of vanishing: see ICommandMessage.
                cfg.ConfigurePublish(publish => publish.UseExecute(p => p.Mandatory |= p is PublishContext<ICommandMessage>));
                ApplyPolicy(cfg, messaging, context);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>Queue names: "{service}-{consumer}".</summary>
    public static IEndpointNameFormatter EndpointNames(string service) => new KebabCaseEndpointNameFormatter(service, includeNamespace: false);

    /// <summary>The queue where replicas of <paramref name="service"/> answer pings.</summary>
    public static Uri PingQueue(string service) => new($"queue:{EndpointNames(service).Consumer<PingConsumer>()}");

    /// <summary>A plain RabbitMQ client's connection to the settings' broker, for the CLI's own broker work (doctor, errors).</summary>
    public static RabbitMQ.Client.ConnectionFactory BrokerConnectionFactory(MessagingOptions messaging) => new()
    {
        HostName = messaging.Host, Port = messaging.Port, VirtualHost = messaging.VirtualHost,
        UserName = messaging.Username, Password = messaging.Password,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(messaging.StartupTimeoutSeconds),
    };

    public static DependencyEndpoint BrokerEndpoint(MessagingOptions messaging) =>
        new("RabbitMQ broker", messaging.Host, messaging.Port,
            SettingKey.ToEnvironment("Messaging:Host"), SettingKey.ToEnvironment("Messaging:Port"));

    private static void ApplyPolicy(IBusFactoryConfigurator cfg, MessagingOptions messaging, IBusRegistrationContext context)
    {
        cfg.ConcurrentMessageLimit = messaging.ConcurrentMessageLimit;
        cfg.UseFilter(new LinkLossFilter(TimeSpan.FromSeconds(messaging.LinkLossGraceSeconds),
            context.GetRequiredService<ILoggerFactory>().CreateLogger<LinkLossFilter>()));
        cfg.UseConsumeFilter(typeof(WorkLogContextFilter<>), context);
        cfg.UseConsumeFilter(typeof(MovedBackReportFilter<>), context);
        // An outage of PostgreSQL or blob storage is waited out, with the consume tried again after each
        // pause up to Messaging:OutagePatienceSeconds (the outer filter); any other failure gets the few quick
        // retries of the inner one, then the _error queue. Either way the message is not lost.
        cfg.UseMessageRetry(retry =>
        {
            retry.Intervals([.. Outages.Pauses(TimeSpan.FromSeconds(messaging.OutagePatienceSeconds))]);
            retry.Handle<Exception>(e => Outages.Reason(e) is not null);
            retry.ConnectRetryObserver(new OutageRetryObserver(context.GetRequiredService<ILoggerFactory>().CreateLogger("VisRL.Outages")));
        });
        cfg.UseMessageRetry(retry =>
        {
            retry.Ignore<Exception>(e => Outages.Reason(e) is not null);
            retry.Exponential(messaging.RetryLimit,
                TimeSpan.FromMilliseconds(messaging.RetryInitialIntervalMs),
                TimeSpan.FromMilliseconds(messaging.RetryMaxIntervalMs),
                TimeSpan.FromMilliseconds(messaging.RetryInitialIntervalMs));
            retry.Ignore<PermanentFailureException>();
        });
    }
}
