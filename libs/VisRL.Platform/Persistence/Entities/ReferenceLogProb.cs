namespace VisRL.Platform.Persistence.Entities;

/// <summary>
/// One number of a DPO job's reference: the start policy's log-probability of one pair's chosen or
/// rejected response in one term ("box/chosen", "box/rejected", "answer/chosen", "answer/rejected").
/// </summary>
public sealed class ReferenceLogProb
{
    public long Id { get; set; }
    public Guid TrainingJobId { get; set; }
    public long PairId { get; set; }
    public required string Term { get; set; }
    public double LogProb { get; set; }
}
