using AnomalyMoE.Cli;

return Cli.Run(args);
