package v1

// GroupName is the group name of this fixture.
const GroupName = "widgets.example.io"
