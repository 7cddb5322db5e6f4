namespace VisRL.Torch;

public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}
