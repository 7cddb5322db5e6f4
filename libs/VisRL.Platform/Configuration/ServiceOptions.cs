using System.ComponentModel.DataAnnotations;

namespace VisRL.Platform.Configuration;

/// <summary>Who this process is: its name in logs and pongs, and where it serves health.</summary>
[Settings("Service")]
public sealed class ServiceOptions
{
    [Required] public string Name { get; set; } = "visrl";

    /// <summary>Address Kestrel binds for health: loopback locally, 0.0.0.0 in a container.</summary>
    [Required] public string HealthHost { get; set; } = "127.0.0.1";

    /// <summary>Port of /health/live and /health/ready; 0 picks a free one.</summary>
    [Range(0, 65535)] public int HealthPort { get; set; }
}
