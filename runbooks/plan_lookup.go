package runbooks

// Step returns the planned step with the given id, or nil.
func (p *RunPlan) Step(id string) *PlannedStep {
	for i := range p.Phases {
		for j := range p.Phases[i].Steps {
			if p.Phases[i].Steps[j].ID == id {
				return &p.Phases[i].Steps[j]
			}
		}
	}
	return nil
}
