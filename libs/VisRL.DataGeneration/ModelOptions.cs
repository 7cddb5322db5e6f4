using System.ComponentModel.DataAnnotations;
using VisRL.Platform.Configuration;

namespace VisRL.DataGeneration;

/// <summary>Where fetched checkpoints live locally, and how many loaded models a process keeps.</summary>
[Settings("Models")]
public sealed class ModelOptions
{
    /// <summary>Local cache of checkpoint folders, one per content hash (shared by replicas on one machine).</summary>
    [Required] public string CacheFolder { get; set; } = Path.Combine(Path.GetTempPath(), "visrl-models");

    /// <summary>Loaded models kept in memory (the policy and the judge of a round).</summary>
    [Range(1, 16)] public int Keep { get; set; } = 2;
}
