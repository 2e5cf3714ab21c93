namespace AnomalyMoE.Runtime;

/// <summary>A problem with the user's input (a file, folder, option or checkpoint) that the message names.</summary>
public class AnomalyMoEException(string message, Exception? inner = null) : Exception(message, inner);
